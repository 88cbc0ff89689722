/* Scans of header field lists, for Headers, Response, Request.from_asgi and
 * the ASGI adapter (the twins are in header_structures.py, response.py,
 * request.py and asgi.py).
 *
 * add_new_field(fields, name, value) is Headers' "headers[name] = value" when
 * it adds a field: with a safe ASCII name and a safe value (no CR, LF or NUL)
 * and no field of that name yet (ASCII case ignored), it appends the tuple
 * and answers True; a field of that name answers False (the caller replaces
 * it). Anything else answers None.
 *
 * scan_send_rules(fields) is the scan Response._prepare makes before sending:
 * (whether a Content-Length field is there, the last Location value, the last
 * Content-Location value), or None when a name is not ASCII text.
 *
 * scan_asgi_fields(fields, bodied) is Request.from_asgi's one pass over an
 * ASGI scope's header fields: (first Host value, whether a "cookie" field
 * came, the Cookie fields joined by "; ", whether a body is announced (None
 * when no Content-Length or Transfer-Encoding field came), the Content-Type
 * and Content-Length values joined by ", ", whether a bodied request has a
 * name not in lower case). None unless every field is a 2-tuple or 2-list of
 * bytes (the Python loop then reads them, converting what it can).
 *
 * encode_asgi_fields(fields) is the response's fields as ASGI sends them:
 * [(lower-case name, value)] as latin-1 bytes. None when a name is not ASCII
 * or a value is not latin-1 (the Python code then encodes, or raises).
 */
#include "_speedups.h"

static int
has_line_break(PyObject *text)
{
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    for (Py_ssize_t i = 0; i < length; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c == '\r' || c == '\n' || c == 0) {
            return 1;
        }
    }
    return 0;
}

/* Whether two ASCII texts of `length` characters are equal ignoring case. */
static int
ascii_equal_ignoring_case(const unsigned char *a, const unsigned char *b,
                          Py_ssize_t length)
{
    for (Py_ssize_t i = 0; i < length; i++) {
        unsigned char x = a[i];
        unsigned char y = b[i];
        if (x != y) {
            if (x >= 'A' && x <= 'Z') {
                x += 'a' - 'A';
            }
            if (y >= 'A' && y <= 'Z') {
                y += 'a' - 'A';
            }
            if (x != y) {
                return 0;
            }
        }
    }
    return 1;
}

/* The name of a (name, value) field, or NULL when the item is not that. */
static PyObject *
field_name(PyObject *item)
{
    if (!PyTuple_CheckExact(item) || PyTuple_GET_SIZE(item) != 2) {
        return NULL;
    }
    PyObject *name = PyTuple_GET_ITEM(item, 0);
    return PyUnicode_Check(name) ? name : NULL;
}

PyObject *
add_new_field(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "add_new_field takes 3 arguments");
        return NULL;
    }
    PyObject *fields = args[0];
    PyObject *name = args[1];
    PyObject *value = args[2];
    if (!PyList_CheckExact(fields) || !PyUnicode_CheckExact(name)
        || !PyUnicode_CheckExact(value) || !PyUnicode_IS_ASCII(name)
        || has_line_break(name) || has_line_break(value)) {
        Py_RETURN_NONE;
    }
    Py_ssize_t size = PyUnicode_GET_LENGTH(name);
    const unsigned char *wanted = (const unsigned char *)PyUnicode_DATA(name);
    Py_ssize_t count = PyList_GET_SIZE(fields);
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *other = field_name(PyList_GET_ITEM(fields, i));
        if (other == NULL) {
            Py_RETURN_NONE;
        }
        if (PyUnicode_GET_LENGTH(other) != size) {
            continue;
        }
        if (!PyUnicode_IS_ASCII(other)) {
            Py_RETURN_NONE; /* str.lower() of non-ASCII text is Python's to say */
        }
        if (ascii_equal_ignoring_case(
                (const unsigned char *)PyUnicode_DATA(other), wanted, size)) {
            Py_RETURN_FALSE;
        }
    }
    PyObject *field = PyTuple_Pack(2, name, value);
    if (field == NULL) {
        return NULL;
    }
    int failed = PyList_Append(fields, field);
    Py_DECREF(field);
    if (failed) {
        return NULL;
    }
    Py_RETURN_TRUE;
}

PyObject *
scan_send_rules(PyObject *module, PyObject *fields)
{
    (void)module;
    if (!PyList_CheckExact(fields)) {
        Py_RETURN_NONE;
    }
    int has_length = 0;
    PyObject *location = Py_None;
    PyObject *content_location = Py_None;
    Py_ssize_t count = PyList_GET_SIZE(fields);
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *item = PyList_GET_ITEM(fields, i);
        PyObject *name = field_name(item);
        if (name == NULL || !PyUnicode_IS_ASCII(name)) {
            Py_RETURN_NONE;
        }
        const unsigned char *text = (const unsigned char *)PyUnicode_DATA(name);
        switch (PyUnicode_GET_LENGTH(name)) {
        case 8:
            if (ascii_equal_ignoring_case(text, (const unsigned char *)"location", 8)) {
                location = PyTuple_GET_ITEM(item, 1);
            }
            break;
        case 14:
            if (ascii_equal_ignoring_case(
                    text, (const unsigned char *)"content-length", 14)) {
                has_length = 1;
            }
            break;
        case 16:
            if (ascii_equal_ignoring_case(
                    text, (const unsigned char *)"content-location", 16)) {
                content_location = PyTuple_GET_ITEM(item, 1);
            }
            break;
        default:
            break;
        }
    }
    return PyTuple_Pack(3, has_length ? Py_True : Py_False, location,
                        content_location);
}

/* bytes.islower(): a lower-case ASCII letter and no upper-case one. */
static int
bytes_is_lower(const unsigned char *text, Py_ssize_t length)
{
    int cased = 0;
    for (Py_ssize_t i = 0; i < length; i++) {
        if (text[i] >= 'A' && text[i] <= 'Z') {
            return 0;
        }
        if (text[i] >= 'a' && text[i] <= 'z') {
            cased = 1;
        }
    }
    return cased;
}

/* Whether a Content-Length value, stripped as bytes.strip() does, is b"" or b"0". */
static int
announces_no_length(const unsigned char *text, Py_ssize_t length)
{
    Py_ssize_t start = 0;
    Py_ssize_t end = length;
    while (start < end && strchr(" \t\n\r\x0b\x0c", text[start]) && text[start]) {
        start++;
    }
    while (end > start && strchr(" \t\n\r\x0b\x0c", text[end - 1]) && text[end - 1]) {
        end--;
    }
    return end == start || (end - start == 1 && text[start] == '0');
}

/* The two items of a 2-tuple or 2-list, as borrowed references; 0 if not one. */
static int
unpack_pair(PyObject *item, PyObject **first, PyObject **second)
{
    if (PyTuple_CheckExact(item) && PyTuple_GET_SIZE(item) == 2) {
        *first = PyTuple_GET_ITEM(item, 0);
        *second = PyTuple_GET_ITEM(item, 1);
        return 1;
    }
    if (PyList_CheckExact(item) && PyList_GET_SIZE(item) == 2) {
        *first = PyList_GET_ITEM(item, 0);
        *second = PyList_GET_ITEM(item, 1);
        return 1;
    }
    return 0;
}

/* `joined` (a new reference or NULL) with `value` appended after `separator`. */
static PyObject *
join_bytes(PyObject *joined, PyObject *value)
{
    if (joined == NULL) {
        Py_INCREF(value);
        return value;
    }
    Py_ssize_t left = PyBytes_GET_SIZE(joined);
    Py_ssize_t right = PyBytes_GET_SIZE(value);
    PyObject *result = PyBytes_FromStringAndSize(NULL, left + 2 + right);
    if (result != NULL) {
        char *out = PyBytes_AS_STRING(result);
        memcpy(out, PyBytes_AS_STRING(joined), (size_t)left);
        memcpy(out + left, "; ", 2);
        memcpy(out + left + 2, PyBytes_AS_STRING(value), (size_t)right);
    }
    Py_DECREF(joined);
    return result;
}

/* `joined` (a new reference or NULL) with latin-1 `value` appended after ", ". */
static PyObject *
join_text(PyObject *joined, PyObject *value)
{
    PyObject *text = PyUnicode_DecodeLatin1(PyBytes_AS_STRING(value),
                                            PyBytes_GET_SIZE(value), NULL);
    if (text == NULL || joined == NULL) {
        Py_XDECREF(joined);
        return text;
    }
    PyObject *result = PyUnicode_FromFormat("%U, %U", joined, text);
    Py_DECREF(joined);
    Py_DECREF(text);
    return result;
}

PyObject *
scan_asgi_fields(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "scan_asgi_fields takes 2 arguments");
        return NULL;
    }
    PyObject *fields = args[0];
    int bodied = PyObject_IsTrue(args[1]);
    if (bodied < 0) {
        return NULL;
    }
    if (!PyList_CheckExact(fields) && !PyTuple_CheckExact(fields)) {
        Py_RETURN_NONE;
    }
    PyObject *host = Py_None;
    int cookie = 0;
    PyObject *cookie_field = NULL;
    int announced = -1;
    PyObject *content_type = NULL;
    PyObject *content_length = NULL;
    int odd = 0;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(fields);
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *name;
        PyObject *value;
        if (!unpack_pair(PySequence_Fast_GET_ITEM(fields, i), &name, &value)
            || !PyBytes_CheckExact(name) || !PyBytes_CheckExact(value)) {
            Py_XDECREF(cookie_field);
            Py_XDECREF(content_type);
            Py_XDECREF(content_length);
            Py_RETURN_NONE;
        }
        const unsigned char *text = (const unsigned char *)PyBytes_AS_STRING(name);
        Py_ssize_t size = PyBytes_GET_SIZE(name);
        if (size == 4 && memcmp(text, "host", 4) == 0) {
            if (host == Py_None) {
                host = value;
            }
        }
        else if (size == 6
                 && ascii_equal_ignoring_case(text, (const unsigned char *)"cookie", 6)) {
            if (memcmp(text, "cookie", 6) == 0) {
                cookie = 1;
            }
            cookie_field = join_bytes(cookie_field, value);
            if (cookie_field == NULL) {
                goto error;
            }
        }
        else if (size == 12 && memcmp(text, "content-type", 12) == 0) {
            content_type = join_text(content_type, value);
            if (content_type == NULL) {
                goto error;
            }
        }
        else if ((size == 14 && memcmp(text, "content-length", 14) == 0)
                 || (size == 17 && memcmp(text, "transfer-encoding", 17) == 0)) {
            int is_length = size == 14;
            if (announced < 0) {
                announced = !is_length
                            || !announces_no_length(
                                (const unsigned char *)PyBytes_AS_STRING(value),
                                PyBytes_GET_SIZE(value));
            }
            if (is_length) {
                content_length = join_text(content_length, value);
                if (content_length == NULL) {
                    goto error;
                }
            }
        }
        else if (bodied && !bytes_is_lower(text, size)) {
            odd = 1;
        }
    }
    PyObject *result = Py_BuildValue(
        "(OOOOOOO)", host, cookie ? Py_True : Py_False,
        cookie_field ? cookie_field : Py_None,
        announced < 0 ? Py_None : (announced ? Py_True : Py_False),
        content_type ? content_type : Py_None,
        content_length ? content_length : Py_None, odd ? Py_True : Py_False);
    Py_XDECREF(cookie_field);
    Py_XDECREF(content_type);
    Py_XDECREF(content_length);
    return result;

error:
    Py_XDECREF(cookie_field);
    Py_XDECREF(content_type);
    Py_XDECREF(content_length);
    return NULL;
}

PyObject *
encode_asgi_fields(PyObject *module, PyObject *fields)
{
    (void)module;
    if (!PyList_CheckExact(fields)) {
        Py_RETURN_NONE;
    }
    Py_ssize_t count = PyList_GET_SIZE(fields);
    PyObject *result = PyList_New(count);
    if (result == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *item = PyList_GET_ITEM(fields, i);
        PyObject *name;
        PyObject *value;
        if (!unpack_pair(item, &name, &value) || !PyUnicode_CheckExact(name)
            || !PyUnicode_CheckExact(value) || !PyUnicode_IS_ASCII(name)
            || PyUnicode_KIND(value) != PyUnicode_1BYTE_KIND) {
            Py_DECREF(result);
            Py_RETURN_NONE;
        }
        Py_ssize_t size = PyUnicode_GET_LENGTH(name);
        PyObject *raw_name = PyBytes_FromStringAndSize(NULL, size);
        if (raw_name == NULL) {
            Py_DECREF(result);
            return NULL;
        }
        const unsigned char *text = (const unsigned char *)PyUnicode_DATA(name);
        unsigned char *out = (unsigned char *)PyBytes_AS_STRING(raw_name);
        for (Py_ssize_t j = 0; j < size; j++) {
            unsigned char c = text[j];
            out[j] = (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
        }
        /* A 1-byte-kind str holds code points below 256: its latin-1 bytes. */
        PyObject *raw_value = PyBytes_FromStringAndSize(
            (const char *)PyUnicode_DATA(value), PyUnicode_GET_LENGTH(value));
        if (raw_value == NULL) {
            Py_DECREF(raw_name);
            Py_DECREF(result);
            return NULL;
        }
        PyObject *pair = PyTuple_New(2);
        if (pair == NULL) {
            Py_DECREF(raw_name);
            Py_DECREF(raw_value);
            Py_DECREF(result);
            return NULL;
        }
        PyTuple_SET_ITEM(pair, 0, raw_name);
        PyTuple_SET_ITEM(pair, 1, raw_value);
        PyList_SET_ITEM(result, i, pair);
    }
    return result;
}
