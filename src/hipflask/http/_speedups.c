/* Optional C versions of hot steps of hipflask's request path (loops over
 * request data in hipflask.http, object creation, Headers and Response
 * methods, the context proxies of hipflask.globals); see _speedups.pyi.
 *
 * Each function here has a pure-Python twin that stays the reference: the
 * Python module imports the C one when it was built and falls back to its own
 * otherwise. The tests compare the two on generated input, so the C code must
 * give the same result for every input it accepts. It only accepts the inputs
 * it handles simply and answers None for the rest, for the twin to handle.
 *
 * parse_query_lists(text) reads an ASCII query string or urlencoded body into
 * {name: [value, ...]}, in hipflask.http.urls's reading of the WHATWG rules:
 * pairs split on "&" (empty ones skipped), name and value on the first "=";
 * in each, "+" is a space and "%XX" a byte; the bytes are read as UTF-8, and
 * a byte that is not valid UTF-8 is written back as "%XX" (the Python codec
 * error handler "hipflask.url_quote", which urls.py registers, does that).
 * Text with a non-ASCII character gives None: the twin decides such text.
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
 *
 * new_instance(cls) is object.__new__(cls). For a class that keeps object's
 * way of making instances (no __new__ of its own, not abstract), the class's
 * allocator is called directly, as object.__new__ ends up doing; calling
 * object.__new__ from Python first packs and checks an argument tuple, which
 * costs more than the allocation. Any other argument is handed to
 * object.__new__ itself, so results and errors are the same.
 *
 * headers_setitem(self, name, value) is Headers.__setitem__, a method
 * descriptor of object that header_structures.py installs on the class once
 * configure_headers() has the Python method: a str value goes through
 * add_new_field (added: done; a field of that name: self._replace, as the
 * Python method does); everything else, and what add_new_field declines, is
 * the Python method's.
 *
 * response_prepare(self, method[, current_url]) is Response._prepare,
 * installed the same way (configure_response): it answers the usual case
 * itself, a list body of bytes whose fields already have a Content-Length
 * and no Location or Content-Location, for a method other than HEAD and a
 * status with a body, without direct_passthrough: then the response sends
 * (status code, its own field list, its body) unchanged. Everything else is
 * the Python method's.
 *
 * request_from_asgi(cls, scope[, body]) is Request.from_asgi (a classmethod
 * of the request classes, configure_requests) for the classes given there
 * and a scope that is a dict with str method, root_path and path, whose
 * header fields scan_asgi_fields reads: the request's slots are filled at
 * their member descriptors' offsets, as the Python method fills them. Other
 * classes and scopes are the Python method's.
 *
 * request_from_environ(cls, environ) is Request._from_environ, installed
 * and limited the same way, for an environ that is a dict with str
 * REQUEST_METHOD and ASCII PATH_INFO (when present).
 *
 * new_request_context(app, request) is RequestContext._for_request for the
 * RequestContext class, and ctx_push(self) and ctx_pop(self[, exc]) are
 * RequestContext.push and pop
 * (configure_contexts, installed by ctx.py), for the exact RequestContext
 * class in the common case: no nested push, the app's own app_context, no
 * teardown function and no receiver of the context signals, a request class
 * whose close() only closes uploaded files. The two context classes' slots
 * are read and written at the offsets their member descriptors give, as
 * those descriptors do. Anything else is the Python method's; every test of
 * the common case is made before the first change, so a method either runs
 * here to the end or leaves the call to Python untouched.
 *
 * The context proxies of hipflask.globals (request, g, current_app) read
 * their attributes here once configure_proxies() has been given what the
 * Python versions use: the two context variables, the names a proxy answers
 * itself, g's special names, the "working outside of ... context" messages
 * and the function that makes g's namespace on its first write. The hooks
 * (request_getattribute, app_getattribute, g_getattribute, g_setattr) are
 * method descriptors of object, so a class can take them as its
 * __getattribute__ / __setattr__ and they receive the proxy as self; each
 * follows the Python method of the same class in globals.py step by step.
 *
 * Every loop is bounded by the input's length; the output of a component is
 * never longer than the component, so one buffer of the input's length holds
 * any of them.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h> /* T_OBJECT_EX: how __slots__ members are stored */

static const char url_errors[] = "hipflask.url_quote";

static int
hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* The text of one name or value, data[start:end], decoded. */
static PyObject *
decode_component(PyObject *text, const unsigned char *data, Py_ssize_t start,
                 Py_ssize_t end, char *buffer)
{
    Py_ssize_t i;
    int escaped = 0;

    for (i = start; i < end; i++) {
        if (data[i] == '%' || data[i] == '+') {
            escaped = 1;
            break;
        }
    }
    if (!escaped) {
        return PyUnicode_Substring(text, start, end);
    }
    Py_ssize_t size = 0;
    int high = 0; /* whether an escape gave a byte over 0x7F */
    for (i = start; i < end; i++) {
        unsigned char c = data[i];
        if (c == '+') {
            buffer[size++] = ' ';
        }
        else if (c == '%') {
            /* "%XX" needs two hex digits inside the component. */
            int a = i + 2 < end ? hex_value(data[i + 1]) : -1;
            int b = a >= 0 ? hex_value(data[i + 2]) : -1;
            if (a >= 0 && b >= 0) {
                unsigned char byte = (unsigned char)(a * 16 + b);
                buffer[size++] = (char)byte;
                if (byte > 0x7F) {
                    high = 1;
                }
                i += 2;
            }
            else {
                buffer[size++] = '%';
            }
        }
        else {
            buffer[size++] = (char)c;
        }
    }
    if (!high) {
        return PyUnicode_DecodeASCII(buffer, size, NULL);
    }
    return PyUnicode_DecodeUTF8(buffer, size, url_errors);
}

static int
add_pair(PyObject *lists, PyObject *name, PyObject *value)
{
    PyObject *values = PyDict_GetItemWithError(lists, name); /* borrowed */
    if (values != NULL) {
        return PyList_Append(values, value);
    }
    if (PyErr_Occurred()) {
        return -1;
    }
    values = PyList_New(1);
    if (values == NULL) {
        return -1;
    }
    Py_INCREF(value);
    PyList_SET_ITEM(values, 0, value);
    int result = PyDict_SetItem(lists, name, values);
    Py_DECREF(values);
    return result;
}

static PyObject *
parse_query_lists(PyObject *module, PyObject *text)
{
    (void)module;
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "expected str, not %.100s",
                     Py_TYPE(text)->tp_name);
        return NULL;
    }
    if (!PyUnicode_IS_ASCII(text)) {
        Py_RETURN_NONE;
    }
    const unsigned char *data = (const unsigned char *)PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    PyObject *lists = PyDict_New();
    if (lists == NULL) {
        return NULL;
    }
    char *buffer = PyMem_Malloc(length > 0 ? (size_t)length : 1);
    if (buffer == NULL) {
        Py_DECREF(lists);
        return PyErr_NoMemory();
    }
    Py_ssize_t start = 0;
    while (start <= length) {
        Py_ssize_t end = start;
        Py_ssize_t equals = -1;
        while (end < length && data[end] != '&') {
            if (equals < 0 && data[end] == '=') {
                equals = end;
            }
            end++;
        }
        if (end > start) {
            Py_ssize_t name_end = equals >= 0 ? equals : end;
            PyObject *name = decode_component(text, data, start, name_end, buffer);
            if (name == NULL) {
                goto error;
            }
            PyObject *value;
            if (equals >= 0) {
                value = decode_component(text, data, equals + 1, end, buffer);
            }
            else {
                value = PyUnicode_New(0, 0);
            }
            if (value == NULL) {
                Py_DECREF(name);
                goto error;
            }
            int failed = add_pair(lists, name, value);
            Py_DECREF(name);
            Py_DECREF(value);
            if (failed) {
                goto error;
            }
        }
        start = end + 1;
    }
    PyMem_Free(buffer);
    return lists;

error:
    PyMem_Free(buffer);
    Py_DECREF(lists);
    return NULL;
}

/* Whether the str `text` holds a CR, LF or NUL. */
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

static PyObject *
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

static PyObject *
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

static PyObject *
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

static PyObject *
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

static PyObject *
new_instance(PyObject *module, PyObject *cls)
{
    if (PyType_Check(cls)) {
        PyTypeObject *type = (PyTypeObject *)cls;
        if (type->tp_new == PyBaseObject_Type.tp_new
            && !(type->tp_flags & Py_TPFLAGS_IS_ABSTRACT)
            && type->tp_alloc != NULL) {
            return type->tp_alloc(type, 0);
        }
    }
    return PyObject_CallMethod((PyObject *)&PyBaseObject_Type, "__new__", "O",
                               cls);
}

/* -- shared by the class methods below ----------------------------------- */

/* Intern ``text`` into ``var`` once (configure functions; return NULL on failure). */
#define INTERN(var, text)                                                      \
    if ((var) == NULL && ((var) = PyUnicode_InternFromString(text)) == NULL) { \
        return NULL;                                                           \
    }

/* Whether ``obj.name`` is true: 1, 0, or -1 on an error. */
static int
attribute_is_true(PyObject *obj, PyObject *name)
{
    PyObject *value = PyObject_GetAttr(obj, name);
    if (value == NULL) {
        return -1;
    }
    int answer = PyObject_IsTrue(value);
    Py_DECREF(value);
    return answer;
}

/* The raised exception (normalised; the error indicator is cleared). */
static PyObject *
take_error(void)
{
#if PY_VERSION_HEX >= 0x030C0000
    return PyErr_GetRaisedException();
#else
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    PyErr_NormalizeException(&type, &value, &traceback);
    if (traceback != NULL && value != NULL) {
        PyException_SetTraceback(value, traceback);
    }
    Py_XDECREF(type);
    Py_XDECREF(traceback);
    return value;
#endif
}

/* Raise ``error`` (an exception taken by take_error; the reference is stolen). */
static void
give_error(PyObject *error)
{
#if PY_VERSION_HEX >= 0x030C0000
    PyErr_SetRaisedException(error);
#else
    PyObject *traceback = PyException_GetTraceback(error);
    PyObject *type = (PyObject *)Py_TYPE(error);
    Py_INCREF(type);
    PyErr_Restore(type, error, traceback);
#endif
}

/* The Python method ``method`` called as method(self, *args). */
static PyObject *
call_python_method(PyObject *method, PyObject *self, PyObject *const *args,
                   Py_ssize_t nargs, PyObject *kwnames)
{
    Py_ssize_t total = nargs + (kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames));
    PyObject **call = PyMem_New(PyObject *, total + 1);
    if (call == NULL) {
        return PyErr_NoMemory();
    }
    call[0] = self;
    for (Py_ssize_t i = 0; i < total; i++) {
        call[i + 1] = args[i];
    }
    PyObject *result = PyObject_Vectorcall(method, call, nargs + 1, kwnames);
    PyMem_Free(call);
    return result;
}

/* -- Headers.__setitem__ (see the header; the twin is in header_structures.py) */

static PyObject *headers_python_setitem; /* the Python Headers.__setitem__ */
static PyObject *str_list, *str_replace;

static PyObject *
configure_headers(PyObject *module, PyObject *setitem)
{
    if (!PyCallable_Check(setitem)) {
        PyErr_SetString(PyExc_TypeError, "configure_headers takes a callable");
        return NULL;
    }
    INTERN(str_list, "_list");
    INTERN(str_replace, "_replace");
    Py_INCREF(setitem);
    Py_XSETREF(headers_python_setitem, setitem);
    Py_RETURN_NONE;
}

static PyObject *
headers_setitem(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (headers_python_setitem == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure_headers was not called");
        return NULL;
    }
    if (nargs == 2 && PyUnicode_CheckExact(args[1])) {
        PyObject *fields = PyObject_GetAttr(self, str_list);
        if (fields == NULL) {
            return NULL;
        }
        PyObject *call[3] = {fields, args[0], args[1]};
        PyObject *added = add_new_field(NULL, call, 3);
        Py_DECREF(fields);
        if (added == NULL) {
            return NULL;
        }
        Py_DECREF(added); /* a singleton: True, False or None */
        if (added == Py_True) {
            Py_RETURN_NONE;
        }
        if (added == Py_False) { /* a field of that name: replace it */
            PyObject *field = PyTuple_Pack(2, args[0], args[1]);
            if (field == NULL) {
                return NULL;
            }
            PyObject *replacement = PyList_New(1);
            if (replacement == NULL) {
                Py_DECREF(field);
                return NULL;
            }
            PyList_SET_ITEM(replacement, 0, field);
            PyObject *done = PyObject_CallMethodObjArgs(self, str_replace, args[0],
                                                        replacement, NULL);
            Py_DECREF(replacement);
            if (done == NULL) {
                return NULL;
            }
            Py_DECREF(done);
            Py_RETURN_NONE;
        }
    }
    return call_python_method(headers_python_setitem, self, args, nargs, NULL);
}

/* -- Response._prepare (see the header; the twin is in response.py) ------- */

static PyObject *response_python_prepare; /* the Python Response._prepare */
static PyObject *response_no_body_statuses; /* frozenset of status codes */
static PyObject *str_status_code, *str_headers, *str_response,
    *str_direct_passthrough;

static PyObject *
configure_response(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyCallable_Check(args[0]) || !PyFrozenSet_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError,
                        "configure_response takes a callable and a frozenset");
        return NULL;
    }
    INTERN(str_status_code, "_status_code");
    INTERN(str_headers, "headers");
    INTERN(str_response, "response");
    INTERN(str_direct_passthrough, "direct_passthrough");
    INTERN(str_list, "_list");
    Py_INCREF(args[0]);
    Py_XSETREF(response_python_prepare, args[0]);
    Py_INCREF(args[1]);
    Py_XSETREF(response_no_body_statuses, args[1]);
    Py_RETURN_NONE;
}

/* The usual case of _prepare as a new (code, fields, body) tuple; None
 * (a new reference) when it is not that case; NULL on an error. */
static PyObject *
prepared_as_is(PyObject *self, PyObject *method)
{
    PyObject *code = NULL, *headers = NULL, *fields = NULL, *body = NULL;
    PyObject *scanned = NULL, *result = Py_None;
    if (!PyUnicode_CheckExact(method)
        || PyUnicode_CompareWithASCIIString(method, "HEAD") == 0) {
        Py_RETURN_NONE;
    }
    code = PyObject_GetAttr(self, str_status_code);
    if (code == NULL) {
        goto error;
    }
    int no_body = PySet_Contains(response_no_body_statuses, code);
    if (no_body < 0) {
        goto error;
    }
    if (no_body) {
        goto decline;
    }
    headers = PyObject_GetAttr(self, str_headers);
    if (headers == NULL) {
        goto error;
    }
    fields = PyObject_GetAttr(headers, str_list);
    if (fields == NULL) {
        goto error;
    }
    body = PyObject_GetAttr(self, str_response);
    if (body == NULL) {
        goto error;
    }
    if (!PyList_CheckExact(body) || !PyList_CheckExact(fields)) {
        goto decline;
    }
    scanned = scan_send_rules(NULL, fields);
    if (scanned == NULL) {
        goto error;
    }
    if (scanned == Py_None || PyTuple_GET_ITEM(scanned, 0) != Py_True
        || PyTuple_GET_ITEM(scanned, 1) != Py_None
        || PyTuple_GET_ITEM(scanned, 2) != Py_None) {
        goto decline;
    }
    PyObject *passthrough = PyObject_GetAttr(self, str_direct_passthrough);
    if (passthrough == NULL) {
        goto error;
    }
    int direct = PyObject_IsTrue(passthrough);
    Py_DECREF(passthrough);
    if (direct < 0) {
        goto error;
    }
    if (direct) {
        goto decline;
    }
    Py_ssize_t count = PyList_GET_SIZE(body);
    for (Py_ssize_t i = 0; i < count; i++) {
        if (!PyBytes_CheckExact(PyList_GET_ITEM(body, i))) {
            goto decline;
        }
    }
    result = PyTuple_Pack(3, code, fields, body);
    goto done;
decline:
    Py_INCREF(Py_None);
    goto done;
error:
    result = NULL;
done:
    Py_XDECREF(code);
    Py_XDECREF(headers);
    Py_XDECREF(fields);
    Py_XDECREF(body);
    Py_XDECREF(scanned);
    return result;
}

static PyObject *
response_prepare(PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames)
{
    if (response_python_prepare == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure_response was not called");
        return NULL;
    }
    if ((nargs == 1 || nargs == 2) && kwnames == NULL) {
        PyObject *prepared = prepared_as_is(self, args[0]);
        if (prepared != Py_None) {
            return prepared; /* the tuple, or NULL on an error */
        }
        Py_DECREF(prepared);
    }
    return call_python_method(response_python_prepare, self, args, nargs, kwnames);
}

/* -- slots of the classes below, at their member descriptors' offsets ---- */

static int
slot_offset(PyTypeObject *type, const char *name, Py_ssize_t *offset)
{
    PyObject *descr = PyObject_GetAttrString((PyObject *)type, name);
    if (descr == NULL) {
        return -1;
    }
    int is_slot = Py_IS_TYPE(descr, &PyMemberDescr_Type)
                  && ((PyMemberDescrObject *)descr)->d_member->type == T_OBJECT_EX;
    if (is_slot) {
        *offset = ((PyMemberDescrObject *)descr)->d_member->offset;
    }
    Py_DECREF(descr);
    if (!is_slot) {
        PyErr_Format(PyExc_TypeError, "%s.%s is not a slot", type->tp_name, name);
        return -1;
    }
    return 0;
}

/* A slot's value (borrowed; NULL when unset, without an error). */
static inline PyObject *
slot_get(PyObject *obj, Py_ssize_t offset)
{
    return *(PyObject **)((char *)obj + offset);
}

static inline void
slot_set(PyObject *obj, Py_ssize_t offset, PyObject *value)
{
    PyObject **address = (PyObject **)((char *)obj + offset);
    PyObject *old = *address;
    Py_INCREF(value);
    *address = value;
    Py_XDECREF(old);
}

/* -- Request.from_asgi (see the header; the twin is in request.py) -------- */

static PyObject *req_classes;         /* set: the classes answered here */
static PyObject *req_python_from_asgi; /* the Python function (cls, scope, body) */
static PyObject *req_python_from_environ; /* the Python function (cls, environ) */
static PyObject *req_empty_stream, *req_bodyless;
static PyObject *str_method, *str_root_path, *str_path, *str_headers_key,
    *str_scope_content_headers, *str_get_method, *str_empty, *str_slash,
    *str_request_method, *str_path_info, *str_werkzeug_request;
static Py_ssize_t rq_environ, rq_scope, rq_body, rq_url_rule, rq_view_args,
    rq_routing_exception, rq_shallow, rq_method, rq_path, rq_bad_host,
    rq_cookie_sent, rq_cookie_field, rq_body_announced;

static PyObject *scan_asgi_fields(PyObject *, PyObject *const *, Py_ssize_t);

static PyObject *
configure_requests(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 6 || !PyAnySet_Check(args[0]) || !PyCallable_Check(args[1])
        || !PyAnySet_Check(args[3]) || !PyCallable_Check(args[5])) {
        PyErr_SetString(PyExc_TypeError, "configure_requests: unexpected arguments");
        return NULL;
    }
    PyObject *base = args[4];
    if (!PyType_Check(base)) {
        PyErr_SetString(PyExc_TypeError, "configure_requests: the base class");
        return NULL;
    }
    static const char *names[13] = {
        "_environ", "_scope", "_body", "url_rule", "view_args",
        "routing_exception", "shallow", "method", "path", "_bad_host",
        "_cookie_sent", "_cookie_field", "_body_announced"};
    Py_ssize_t *offsets[13] = {
        &rq_environ, &rq_scope, &rq_body, &rq_url_rule, &rq_view_args,
        &rq_routing_exception, &rq_shallow, &rq_method, &rq_path, &rq_bad_host,
        &rq_cookie_sent, &rq_cookie_field, &rq_body_announced};
    for (int i = 0; i < 13; i++) {
        if (slot_offset((PyTypeObject *)base, names[i], offsets[i]) < 0) {
            return NULL;
        }
    }
    /* Every class answered here must keep object's __new__ and the base's
     * slots (no descriptor of its own under those names). */
    PyObject *iterator = PyObject_GetIter(args[0]);
    if (iterator == NULL) {
        return NULL;
    }
    PyObject *cls;
    while ((cls = PyIter_Next(iterator)) != NULL) {
        int fine = PyType_Check(cls) && PyType_IsSubtype((PyTypeObject *)cls,
                                                         (PyTypeObject *)base)
                   && ((PyTypeObject *)cls)->tp_new == PyBaseObject_Type.tp_new;
        for (int i = 0; fine && i < 13; i++) {
            PyObject *own = PyObject_GetAttrString(cls, names[i]);
            PyObject *inherited = PyObject_GetAttrString(base, names[i]);
            fine = own != NULL && own == inherited;
            Py_XDECREF(own);
            Py_XDECREF(inherited);
        }
        Py_DECREF(cls);
        if (!fine) {
            Py_DECREF(iterator);
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_TypeError,
                                "configure_requests: a class does not keep the base's slots");
            }
            return NULL;
        }
    }
    Py_DECREF(iterator);
    if (PyErr_Occurred()) {
        return NULL;
    }
    INTERN(str_method, "method");
    INTERN(str_root_path, "root_path");
    INTERN(str_path, "path");
    INTERN(str_headers_key, "headers");
    INTERN(str_scope_content_headers, "_scope_content_headers");
    INTERN(str_get_method, "GET");
    INTERN(str_empty, "");
    INTERN(str_slash, "/");
    INTERN(str_request_method, "REQUEST_METHOD");
    INTERN(str_path_info, "PATH_INFO");
    INTERN(str_werkzeug_request, "werkzeug.request");
    Py_INCREF(args[5]);
    Py_XSETREF(req_python_from_environ, args[5]);
    PyObject **targets[4] = {&req_classes, &req_python_from_asgi, &req_empty_stream,
                             &req_bodyless};
    for (int i = 0; i < 4; i++) {
        Py_INCREF(args[i]);
        Py_XSETREF(*targets[i], args[i]);
    }
    Py_RETURN_NONE;
}

/* scope[key] when it is an exact str (a new reference); ``fallback`` when
 * the key is missing and a fallback is given; NULL (no error) otherwise. */
static PyObject *
scope_text(PyObject *scope, PyObject *key, PyObject *fallback)
{
    PyObject *value = PyDict_GetItemWithError(scope, key);
    if (value == NULL) {
        if (PyErr_Occurred()) {
            PyErr_Clear(); /* an odd key: Python reads the scope */
            return NULL;
        }
        value = fallback;
    }
    if (value == NULL || !PyUnicode_CheckExact(value)) {
        return NULL;
    }
    Py_INCREF(value);
    return value;
}

/* Whether the Host value ``host`` (bytes) is not printable text: 1, 0, -1. */
static int
bad_host(PyObject *host)
{
    const unsigned char *text = (const unsigned char *)PyBytes_AS_STRING(host);
    Py_ssize_t size = PyBytes_GET_SIZE(host);
    Py_ssize_t i = 0;
    while (i < size && text[i] >= 0x20 && text[i] < 0x7f) {
        i++;
    }
    if (i == size) {
        return 0; /* printable ASCII */
    }
    PyObject *decoded = PyUnicode_DecodeLatin1((const char *)text, size, NULL);
    if (decoded == NULL) {
        return -1;
    }
    PyObject *printable = PyObject_CallMethod(decoded, "isprintable", NULL);
    Py_DECREF(decoded);
    if (printable == NULL) {
        return -1;
    }
    int answer = printable == Py_False;
    Py_DECREF(printable);
    return answer;
}

/* The new request, Py_None (a new reference) for Python to build, or NULL. */
static PyObject *
request_from_scope(PyTypeObject *cls, PyObject *scope, PyObject *body)
{
    PyObject *method = NULL, *root = NULL, *path = NULL, *found = NULL;
    PyObject *self = NULL, *result = NULL;
    if ((method = scope_text(scope, str_method, str_get_method)) == NULL
        || (root = scope_text(scope, str_root_path, str_empty)) == NULL
        || (path = scope_text(scope, str_path, NULL)) == NULL) {
        goto decline;
    }
    if (PyUnicode_GET_LENGTH(root) > 0) {
        Py_ssize_t starts = PyUnicode_Tailmatch(path, root, 0, PY_SSIZE_T_MAX, -1);
        if (starts < 0) {
            goto error;
        }
        if (starts) {
            PyObject *rest = PyUnicode_Substring(path, PyUnicode_GET_LENGTH(root),
                                                 PyUnicode_GET_LENGTH(path));
            if (rest == NULL) {
                goto error;
            }
            Py_SETREF(path, rest);
        }
    }
    if (PyUnicode_GET_LENGTH(path) == 0 || PyUnicode_READ_CHAR(path, 0) != '/') {
        PyObject *rooted = PyUnicode_Concat(str_slash, path);
        if (rooted == NULL) {
            goto error;
        }
        Py_SETREF(path, rooted);
    }
    int bodyless = PySet_Contains(req_bodyless, method);
    if (bodyless < 0) {
        goto error;
    }
    PyObject *fields = PyDict_GetItemWithError(scope, str_headers_key);
    if (fields == NULL && PyErr_Occurred()) {
        goto error;
    }
    PyObject *scan_args[2] = {fields == NULL ? PyTuple_New(0) : fields,
                              bodyless ? Py_False : Py_True};
    if (fields == NULL) {
        if (scan_args[0] == NULL) {
            goto error;
        }
        found = scan_asgi_fields(NULL, scan_args, 2);
        Py_DECREF(scan_args[0]);
    }
    else {
        found = scan_asgi_fields(NULL, scan_args, 2);
    }
    if (found == NULL) {
        goto error;
    }
    if (found == Py_None) {
        goto decline;
    }
    PyObject *host = PyTuple_GET_ITEM(found, 0);
    int bad = host == Py_None ? 0 : bad_host(host);
    int announced = PyObject_IsTrue(PyTuple_GET_ITEM(found, 3));
    if (bad < 0 || announced < 0) {
        goto error;
    }
    self = cls->tp_alloc(cls, 0);
    if (self == NULL) {
        goto error;
    }
    slot_set(self, rq_environ, Py_None);
    slot_set(self, rq_scope, scope);
    slot_set(self, rq_body, body);
    slot_set(self, rq_url_rule, Py_None);
    slot_set(self, rq_view_args, Py_None);
    slot_set(self, rq_routing_exception, Py_None);
    slot_set(self, rq_shallow, Py_False);
    slot_set(self, rq_method, method);
    slot_set(self, rq_path, path);
    if (!bodyless && PyTuple_GET_ITEM(found, 6) == Py_False) {
        /* As _scope_content_headers reads them. */
        PyObject *pair = PyTuple_Pack(2, PyTuple_GET_ITEM(found, 4),
                                      PyTuple_GET_ITEM(found, 5));
        PyObject *own = pair == NULL ? NULL : PyObject_GenericGetDict(self, NULL);
        int failed = own == NULL
                     || PyDict_SetItem(own, str_scope_content_headers, pair) < 0;
        Py_XDECREF(own);
        Py_XDECREF(pair);
        if (failed) {
            goto error;
        }
    }
    slot_set(self, rq_bad_host, bad ? Py_True : Py_False);
    slot_set(self, rq_cookie_sent, PyTuple_GET_ITEM(found, 1));
    slot_set(self, rq_cookie_field, PyTuple_GET_ITEM(found, 2));
    slot_set(self, rq_body_announced, announced ? Py_True : Py_False);
    result = self;
    self = NULL;
    goto done;
decline:
    result = Py_None;
    Py_INCREF(result);
    goto done;
error:
    result = NULL;
done:
    Py_XDECREF(self);
    Py_XDECREF(method);
    Py_XDECREF(root);
    Py_XDECREF(path);
    Py_XDECREF(found);
    return result;
}

static PyObject *
request_from_asgi(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
                  PyObject *kwnames)
{
    if (req_python_from_asgi == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure_requests was not called");
        return NULL;
    }
    if ((nargs == 2 || nargs == 3) && kwnames == NULL && PyDict_CheckExact(args[1])) {
        int known = PySet_Contains(req_classes, args[0]);
        if (known < 0) {
            return NULL;
        }
        if (known) {
            PyObject *made = request_from_scope((PyTypeObject *)args[0], args[1],
                                                nargs == 3 ? args[2] : req_empty_stream);
            if (made != Py_None) {
                return made;
            }
            Py_DECREF(made);
        }
    }
    return PyObject_Vectorcall(req_python_from_asgi, args, nargs, kwnames);
}

/* Whether ``text`` has no lower-case ASCII letter (then upper() keeps it). */
static int
ascii_upper_already(PyObject *text)
{
    if (!PyUnicode_IS_ASCII(text)) {
        return 0;
    }
    const unsigned char *data = (const unsigned char *)PyUnicode_DATA(text);
    Py_ssize_t size = PyUnicode_GET_LENGTH(text);
    for (Py_ssize_t i = 0; i < size; i++) {
        if (data[i] >= 'a' && data[i] <= 'z') {
            return 0;
        }
    }
    return 1;
}

/* The new request, Py_None (a new reference) for Python to build, or NULL. */
static PyObject *
request_from_wsgi(PyTypeObject *cls, PyObject *environ)
{
    PyObject *method = PyDict_GetItemWithError(environ, str_request_method);
    PyObject *path = method == NULL && PyErr_Occurred()
                         ? NULL
                         : PyDict_GetItemWithError(environ, str_path_info);
    if (PyErr_Occurred()) {
        return NULL;
    }
    if (method == NULL) {
        method = str_get_method;
    }
    if (path == NULL) {
        path = str_slash;
    }
    if (!PyUnicode_CheckExact(method) || !ascii_upper_already(method)
        || !PyUnicode_CheckExact(path) || !PyUnicode_IS_ASCII(path)) {
        Py_RETURN_NONE; /* upper(), a falsy or odd PATH_INFO, decoding: Python */
    }
    Py_INCREF(path);
    if (PyUnicode_GET_LENGTH(path) == 0) {
        Py_SETREF(path, Py_NewRef(str_slash));
    }
    else if (PyUnicode_READ_CHAR(path, 0) != '/') {
        Py_SETREF(path, PyUnicode_Concat(str_slash, path));
        if (path == NULL) {
            return NULL;
        }
    }
    PyObject *self = cls->tp_alloc(cls, 0);
    if (self == NULL) {
        Py_DECREF(path);
        return NULL;
    }
    slot_set(self, rq_environ, environ);
    slot_set(self, rq_scope, Py_None);
    slot_set(self, rq_body, req_empty_stream);
    slot_set(self, rq_url_rule, Py_None);
    slot_set(self, rq_view_args, Py_None);
    slot_set(self, rq_routing_exception, Py_None);
    slot_set(self, rq_shallow, Py_False);
    slot_set(self, rq_method, method);
    slot_set(self, rq_path, path);
    Py_DECREF(path);
    PyObject *proxy = PyWeakref_NewProxy(self, NULL);
    if (proxy == NULL || PyDict_SetItem(environ, str_werkzeug_request, proxy) < 0) {
        Py_XDECREF(proxy);
        Py_DECREF(self);
        return NULL;
    }
    Py_DECREF(proxy);
    return self;
}

static PyObject *
request_from_environ(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (req_python_from_environ == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure_requests was not called");
        return NULL;
    }
    if (nargs == 2 && PyDict_CheckExact(args[1])) {
        int known = PySet_Contains(req_classes, args[0]);
        if (known < 0) {
            return NULL;
        }
        if (known) {
            PyObject *made = request_from_wsgi((PyTypeObject *)args[0], args[1]);
            if (made != Py_None) {
                return made;
            }
            Py_DECREF(made);
        }
    }
    return PyObject_Vectorcall(req_python_from_environ, args, nargs, NULL);
}

/* -- RequestContext.push / pop (see the header; the twins are in ctx.py) -- */

static PyTypeObject *ctx_request_type; /* RequestContext */
static PyTypeObject *ctx_app_type;     /* AppContext */
static PyObject *ctx_cv_app, *ctx_cv_request;
static PyObject *ctx_files_only_close; /* set of request classes */
static PyObject *ctx_signals;          /* pushed, request down, app down, popped */
static PyObject *ctx_python_push, *ctx_python_pop;
static PyObject *str_ctx_app, *str_plain_app_context, *str_teardown_request_funcs,
    *str_teardown_appcontext_funcs, *str_receivers, *str_url_rule,
    *str_routing_exception, *str_match_request, *str_files, *str_close;

enum { SIGNAL_PUSHED, SIGNAL_REQUEST_DOWN, SIGNAL_APP_DOWN, SIGNAL_POPPED };

/* Slot offsets, from the classes' member descriptors. */
static Py_ssize_t rc_app, rc_request, rc_token, rc_app_ctx, rc_outer,
    rc_opened_session, rc_exception, rc_after;
static Py_ssize_t ac_app, ac_g, ac_g_values, ac_outer, ac_token;

static PyObject *
configure_contexts(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 8 || !PyType_Check(args[0]) || !PyType_Check(args[1])
        || !PyAnySet_Check(args[4]) || !PyTuple_Check(args[5])
        || PyTuple_GET_SIZE(args[5]) != 4 || !PyCallable_Check(args[6])
        || !PyCallable_Check(args[7])) {
        PyErr_SetString(PyExc_TypeError, "configure_contexts: unexpected arguments");
        return NULL;
    }
    PyTypeObject *request_type = (PyTypeObject *)args[0];
    PyTypeObject *app_type = (PyTypeObject *)args[1];
    if (app_type->tp_new != PyBaseObject_Type.tp_new || app_type->tp_alloc == NULL
        || request_type->tp_new != PyBaseObject_Type.tp_new
        || request_type->tp_alloc == NULL) {
        PyErr_SetString(PyExc_TypeError, "the context classes must keep object's __new__");
        return NULL;
    }
    if (slot_offset(request_type, "app", &rc_app) < 0
        || slot_offset(request_type, "request", &rc_request) < 0
        || slot_offset(request_type, "_token", &rc_token) < 0
        || slot_offset(request_type, "_app_ctx", &rc_app_ctx) < 0
        || slot_offset(request_type, "_outer", &rc_outer) < 0
        || slot_offset(request_type, "_opened_session", &rc_opened_session) < 0
        || slot_offset(request_type, "_exception", &rc_exception) < 0
        || slot_offset(request_type, "_after_request_functions", &rc_after) < 0
        || slot_offset(app_type, "app", &ac_app) < 0
        || slot_offset(app_type, "_g", &ac_g) < 0
        || slot_offset(app_type, "_g_values", &ac_g_values) < 0
        || slot_offset(app_type, "_outer", &ac_outer) < 0
        || slot_offset(app_type, "_token", &ac_token) < 0) {
        return NULL;
    }
    INTERN(str_ctx_app, "app");
    INTERN(str_plain_app_context, "_plain_app_context");
    INTERN(str_teardown_request_funcs, "teardown_request_funcs");
    INTERN(str_teardown_appcontext_funcs, "teardown_appcontext_funcs");
    INTERN(str_receivers, "receivers");
    INTERN(str_url_rule, "url_rule");
    INTERN(str_routing_exception, "routing_exception");
    INTERN(str_match_request, "_match_request");
    INTERN(str_files, "files");
    INTERN(str_close, "close");
    PyObject **targets[8] = {
        (PyObject **)&ctx_request_type, (PyObject **)&ctx_app_type, &ctx_cv_app,
        &ctx_cv_request, &ctx_files_only_close, &ctx_signals, &ctx_python_push,
        &ctx_python_pop};
    for (int i = 0; i < 8; i++) {
        Py_INCREF(args[i]);
        Py_XSETREF(*targets[i], args[i]);
    }
    Py_RETURN_NONE;
}

/* Whether a context signal has receivers: 1, 0, or -1 on an error. */
static int
has_receivers(int which)
{
    return attribute_is_true(PyTuple_GET_ITEM(ctx_signals, which), str_receivers);
}

/* RequestContext._for_request(app, request) for the RequestContext class. */
static PyObject *
new_request_context(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (ctx_request_type == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure_contexts was not called");
        return NULL;
    }
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "new_request_context takes an app and a request");
        return NULL;
    }
    PyObject *after = PyList_New(0);
    if (after == NULL) {
        return NULL;
    }
    PyObject *ctx = ctx_request_type->tp_alloc(ctx_request_type, 0);
    if (ctx == NULL) {
        Py_DECREF(after);
        return NULL;
    }
    slot_set(ctx, rc_app, args[0]);
    slot_set(ctx, rc_request, args[1]);
    slot_set(ctx, rc_opened_session, Py_None);
    slot_set(ctx, rc_exception, Py_None);
    slot_set(ctx, rc_after, after);
    Py_DECREF(after);
    slot_set(ctx, rc_token, Py_None);
    slot_set(ctx, rc_outer, Py_None);
    return ctx;
}

/* 1 when push can run here, 0 when it is Python's, -1 on an error; sets
 * *new_app_ctx to whether an app context must be pushed with it. */
static int
push_is_common(PyObject *self, PyObject *app, int *new_app_ctx)
{
    if (slot_get(self, rc_token) != Py_None || slot_get(self, rc_outer) == NULL
        || slot_get(self, rc_request) == NULL) {
        return 0; /* pushed already, or a field unset: Python says what happens */
    }
    PyObject *current = NULL;
    if (PyContextVar_Get(ctx_cv_app, NULL, &current) < 0) {
        return -1;
    }
    *new_app_ctx = 1;
    if (current != NULL) {
        PyObject *current_app = PyObject_GetAttr(current, str_ctx_app);
        Py_DECREF(current);
        if (current_app == NULL) {
            return -1;
        }
        *new_app_ctx = current_app != app;
        Py_DECREF(current_app);
    }
    if (!*new_app_ctx) {
        return 1;
    }
    PyObject *plain = PyObject_GetAttr(app, str_plain_app_context);
    if (plain == NULL) {
        return -1;
    }
    int is_plain = plain == Py_True;
    Py_DECREF(plain);
    if (!is_plain) {
        return 0;
    }
    int receivers = has_receivers(SIGNAL_PUSHED);
    return receivers < 0 ? -1 : !receivers;
}

static PyObject *
ctx_push(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (ctx_python_push == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure_contexts was not called");
        return NULL;
    }
    PyObject *app = Py_TYPE(self) == ctx_request_type ? slot_get(self, rc_app) : NULL;
    if (nargs != 0 || app == NULL) {
        return call_python_method(ctx_python_push, self, args, nargs, NULL);
    }
    Py_INCREF(app);
    int new_app_ctx = 0;
    int common = push_is_common(self, app, &new_app_ctx);
    if (common <= 0) {
        Py_DECREF(app);
        return common < 0 ? NULL
                          : call_python_method(ctx_python_push, self, args, nargs, NULL);
    }
    /* From here on, the push itself (Python's steps, in its order). */
    PyObject *app_ctx = Py_None;
    Py_INCREF(app_ctx);
    if (new_app_ctx) {
        Py_DECREF(app_ctx);
        app_ctx = ctx_app_type->tp_alloc(ctx_app_type, 0);
        if (app_ctx == NULL) {
            Py_DECREF(app);
            return NULL;
        }
        slot_set(app_ctx, ac_app, app);
        slot_set(app_ctx, ac_g, Py_None);
        slot_set(app_ctx, ac_g_values, Py_None);
        slot_set(app_ctx, ac_outer, Py_None);
        PyObject *app_token = PyContextVar_Set(ctx_cv_app, app_ctx);
        if (app_token == NULL) {
            Py_DECREF(app_ctx);
            Py_DECREF(app);
            return NULL;
        }
        slot_set(app_ctx, ac_token, app_token);
        Py_DECREF(app_token);
    }
    slot_set(self, rc_app_ctx, app_ctx);
    Py_DECREF(app_ctx);
    PyObject *token = PyContextVar_Set(ctx_cv_request, self);
    if (token == NULL) {
        Py_DECREF(app);
        return NULL;
    }
    slot_set(self, rc_token, token);
    Py_DECREF(token);
    /* Match the URL unless the adapter already did. */
    PyObject *request = slot_get(self, rc_request);
    Py_INCREF(request);
    PyObject *result = Py_None;
    Py_INCREF(result);
    PyObject *rule = PyObject_GetAttr(request, str_url_rule);
    PyObject *error = rule == NULL ? NULL : PyObject_GetAttr(request, str_routing_exception);
    if (rule == NULL || error == NULL) {
        Py_CLEAR(result);
    }
    else if (rule == Py_None && error == Py_None) {
        Py_DECREF(result);
        result = PyObject_CallMethodOneArg(app, str_match_request, request);
        if (result != NULL) {
            Py_DECREF(result);
            result = Py_None;
            Py_INCREF(result);
        }
    }
    Py_XDECREF(rule);
    Py_XDECREF(error);
    Py_DECREF(request);
    Py_DECREF(app);
    return result;
}

/* 1 when pop can run here, 0 when it is Python's, -1 on an error; sets
 * *close to whether request.close() is to be called. */
static int
pop_is_common(PyObject *self, PyObject *app, int *close)
{
    PyObject *outer = slot_get(self, rc_outer);
    PyObject *request = slot_get(self, rc_request);
    PyObject *app_ctx = slot_get(self, rc_app_ctx);
    if (slot_get(self, rc_token) == Py_None || slot_get(self, rc_token) == NULL
        || outer != Py_None || request == NULL || app_ctx == NULL) {
        return 0; /* not pushed, nested, or a field unset */
    }
    int check = attribute_is_true(app, str_teardown_request_funcs);
    if (check != 0) {
        return check < 0 ? -1 : 0;
    }
    if ((check = has_receivers(SIGNAL_REQUEST_DOWN)) != 0) {
        return check < 0 ? -1 : 0;
    }
    int plain_close = PySet_Contains(ctx_files_only_close, (PyObject *)Py_TYPE(request));
    if (plain_close <= 0) {
        return plain_close; /* -1, or 0: a close() of the class's own */
    }
    PyObject *fields = PyObject_GenericGetDict(request, NULL);
    if (fields == NULL) {
        return -1;
    }
    *close = PyDict_Contains(fields, str_files);
    Py_DECREF(fields);
    if (*close < 0) {
        return -1;
    }
    if (app_ctx != Py_None) {
        if (Py_TYPE(app_ctx) != ctx_app_type || slot_get(app_ctx, ac_outer) != Py_None
            || slot_get(app_ctx, ac_token) == NULL
            || slot_get(app_ctx, ac_token) == Py_None) {
            return 0;
        }
        if ((check = attribute_is_true(app, str_teardown_appcontext_funcs)) != 0
            || (check = has_receivers(SIGNAL_APP_DOWN)) != 0
            || (check = has_receivers(SIGNAL_POPPED)) != 0) {
            return check < 0 ? -1 : 0;
        }
    }
    return 1;
}

/* Reset ``var`` to ``token``; AssertionError(message) when ``current`` was
 * not ``expected`` (after the reset, as the Python method does). */
static int
reset_checked(PyObject *var, PyObject *token, PyObject *current, PyObject *expected,
              const char *what)
{
    if (PyContextVar_Reset(var, token) < 0) {
        return -1;
    }
    if (current != expected) {
        PyErr_Format(PyExc_AssertionError, "Popped wrong %s context. (%R instead of %R)",
                     what, current == NULL ? Py_None : current, expected);
        return -1;
    }
    return 0;
}

static PyObject *
ctx_pop(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    if (ctx_python_pop == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure_contexts was not called");
        return NULL;
    }
    PyObject *app = Py_TYPE(self) == ctx_request_type ? slot_get(self, rc_app) : NULL;
    if (nargs > 1 || kwnames != NULL || app == NULL) {
        return call_python_method(ctx_python_pop, self, args, nargs, kwnames);
    }
    Py_INCREF(app);
    int close = 0;
    int common = pop_is_common(self, app, &close);
    Py_DECREF(app);
    if (common <= 0) {
        return common < 0 ? NULL
                          : call_python_method(ctx_python_pop, self, args, nargs, kwnames);
    }
    /* From here on, the pop itself (Python's steps, in its order). */
    PyObject *failed = NULL; /* close()'s error, raised after the resets */
    if (close) {
        PyObject *request = slot_get(self, rc_request);
        PyObject *closed = PyObject_CallMethodNoArgs(request, str_close);
        if (closed == NULL) {
            failed = take_error();
        }
        Py_XDECREF(closed);
    }
    PyObject *current = NULL;
    int status = PyContextVar_Get(ctx_cv_request, NULL, &current);
    PyObject *token = slot_get(self, rc_token);
    PyObject *app_ctx = slot_get(self, rc_app_ctx);
    Py_INCREF(token);
    Py_INCREF(app_ctx);
    slot_set(self, rc_token, Py_None);
    slot_set(self, rc_app_ctx, Py_None);
    if (status == 0) {
        status = reset_checked(ctx_cv_request, token, current, self, "request");
    }
    Py_XDECREF(current);
    Py_DECREF(token);
    if (status == 0 && app_ctx != Py_None) {
        current = NULL;
        status = PyContextVar_Get(ctx_cv_app, NULL, &current);
        PyObject *app_token = slot_get(app_ctx, ac_token);
        Py_INCREF(app_token);
        slot_set(app_ctx, ac_token, Py_None);
        if (status == 0) {
            status = reset_checked(ctx_cv_app, app_token, current, app_ctx, "app");
        }
        Py_XDECREF(current);
        Py_DECREF(app_token);
    }
    Py_DECREF(app_ctx);
    if (failed != NULL) {
        if (status < 0) { /* raised while close()'s error was being handled */
            PyObject *later = take_error();
            PyException_SetContext(later, failed); /* steals failed */
            give_error(later);
        }
        else {
            give_error(failed);
            status = -1;
        }
    }
    if (status < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

/* -- context proxies (see the header; the Python twins are in globals.py) -- */

static PyObject *proxy_cv_app;       /* ContextVar of the app context */
static PyObject *proxy_cv_request;   /* ContextVar of the request context */
static PyObject *proxy_own_names;    /* frozenset: what a proxy answers itself */
static PyObject *proxy_g_special;    /* frozenset: names g never reads from its dict */
static PyObject *proxy_no_app_msg;   /* RuntimeError message without an app context */
static PyObject *proxy_no_req_msg;   /* RuntimeError message without a request context */
static PyObject *proxy_g_first_set;  /* Python: g.name = value with no namespace yet */
static PyObject *str_app, *str_request, *str_g, *str_g_values;

static PyObject *
configure_proxies(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 7) {
        PyErr_SetString(PyExc_TypeError, "configure_proxies takes 7 arguments");
        return NULL;
    }
    if (!PyFrozenSet_Check(args[2]) || !PyFrozenSet_Check(args[3])
        || !PyUnicode_Check(args[4]) || !PyUnicode_Check(args[5])
        || !PyCallable_Check(args[6])) {
        PyErr_SetString(PyExc_TypeError, "configure_proxies: unexpected argument");
        return NULL;
    }
    INTERN(str_app, "app");
    INTERN(str_request, "request");
    INTERN(str_g, "g");
    INTERN(str_g_values, "_g_values");
    Py_INCREF(args[0]);
    Py_XSETREF(proxy_cv_app, args[0]);
    Py_INCREF(args[1]);
    Py_XSETREF(proxy_cv_request, args[1]);
    Py_INCREF(args[2]);
    Py_XSETREF(proxy_own_names, args[2]);
    Py_INCREF(args[3]);
    Py_XSETREF(proxy_g_special, args[3]);
    Py_INCREF(args[4]);
    Py_XSETREF(proxy_no_app_msg, args[4]);
    Py_INCREF(args[5]);
    Py_XSETREF(proxy_no_req_msg, args[5]);
    Py_INCREF(args[6]);
    Py_XSETREF(proxy_g_first_set, args[6]);
    Py_RETURN_NONE;
}

/* RuntimeError(message), raised "from None" as the Python versions raise it. */
static void
raise_unbound(PyObject *message)
{
    PyObject *exc = PyObject_CallOneArg(PyExc_RuntimeError, message);
    if (exc == NULL) {
        return;
    }
    PyException_SetCause(exc, NULL); /* also sets __suppress_context__ */
    PyErr_SetObject(PyExc_RuntimeError, exc);
    Py_DECREF(exc);
}

/* The current value of the context variable ``var`` (a new reference), or
 * NULL with RuntimeError(message) set when it has none. */
static PyObject *
current_context(PyObject *var, PyObject *message)
{
    PyObject *ctx = NULL;
    if (var == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure_proxies was not called");
        return NULL;
    }
    if (PyContextVar_Get(var, NULL, &ctx) < 0) {
        return NULL;
    }
    if (ctx == NULL) {
        raise_unbound(message);
    }
    return ctx;
}

/* ``ctx.<name>``: the slot at ``offset`` when ``ctx`` is exactly ``type``
 * (configured by configure_contexts) and the slot is set, else the attribute
 * (a new reference, or NULL on an error). */
static PyObject *
context_field(PyObject *ctx, PyTypeObject *type, Py_ssize_t offset, PyObject *name)
{
    if (type != NULL && Py_TYPE(ctx) == type) {
        PyObject *value = slot_get(ctx, offset);
        if (value != NULL) {
            Py_INCREF(value);
            return value;
        }
    }
    return PyObject_GetAttr(ctx, name);
}

/* ``name`` read from the proxy itself when it is one of the names a proxy
 * answers (*own 1: the value, or NULL on an error); else NULL with *own 0,
 * or -1 on an error. */
static PyObject *
own_attribute(PyObject *self, PyObject *name, int *own)
{
    *own = PySet_Contains(proxy_own_names, name);
    return *own > 0 ? PyObject_GenericGetAttr(self, name) : NULL;
}

/* Shared by the request and current_app hooks: the proxy's own names from
 * the proxy, anything else from the ``field`` of the current context. */
static PyObject *
forwarded_attribute(PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                    PyObject *var, PyObject *message, PyObject *field,
                    PyTypeObject *type, Py_ssize_t offset)
{
    if (nargs != 1) {
        PyErr_SetString(PyExc_TypeError, "expected one attribute name");
        return NULL;
    }
    PyObject *name = args[0];
    int own;
    PyObject *found = own_attribute(self, name, &own);
    if (own != 0) {
        return found;
    }
    PyObject *ctx = current_context(var, message);
    if (ctx == NULL) {
        return NULL;
    }
    PyObject *target = context_field(ctx, type, offset, field);
    Py_DECREF(ctx);
    if (target == NULL) {
        return NULL;
    }
    PyObject *result = PyObject_GetAttr(target, name);
    Py_DECREF(target);
    return result;
}

static PyObject *
request_getattribute(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    return forwarded_attribute(self, args, nargs, proxy_cv_request,
                               proxy_no_req_msg, str_request, ctx_request_type,
                               rc_request);
}

static PyObject *
app_getattribute(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    return forwarded_attribute(self, args, nargs, proxy_cv_app, proxy_no_app_msg,
                               str_app, ctx_app_type, ac_app);
}

static PyObject *
g_getattribute(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 1) {
        PyErr_SetString(PyExc_TypeError, "expected one attribute name");
        return NULL;
    }
    PyObject *name = args[0];
    int special = PySet_Contains(proxy_g_special, name);
    if (special < 0) {
        return NULL;
    }
    if (special) {
        int own;
        PyObject *found = own_attribute(self, name, &own);
        if (own != 0) {
            return found;
        }
    }
    PyObject *ctx = current_context(proxy_cv_app, proxy_no_app_msg);
    if (ctx == NULL) {
        return NULL;
    }
    if (!special) {
        PyObject *values = context_field(ctx, ctx_app_type, ac_g_values, str_g_values);
        if (values == NULL) {
            Py_DECREF(ctx);
            return NULL;
        }
        if (PyDict_CheckExact(values)) {
            PyObject *found = PyDict_GetItemWithError(values, name);
            if (found != NULL) {
                Py_INCREF(found);
                Py_DECREF(values);
                Py_DECREF(ctx);
                return found;
            }
            if (PyErr_Occurred()) {
                Py_DECREF(values);
                Py_DECREF(ctx);
                return NULL;
            }
        }
        Py_DECREF(values);
    }
    PyObject *namespace = PyObject_GetAttr(ctx, str_g);
    Py_DECREF(ctx);
    if (namespace == NULL) {
        return NULL;
    }
    PyObject *result = PyObject_GetAttr(namespace, name);
    Py_DECREF(namespace);
    return result;
}

static PyObject *
g_setattr(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "expected a name and a value");
        return NULL;
    }
    PyObject *ctx = current_context(proxy_cv_app, proxy_no_app_msg);
    if (ctx == NULL) {
        return NULL;
    }
    PyObject *values = context_field(ctx, ctx_app_type, ac_g_values, str_g_values);
    if (values == NULL) {
        Py_DECREF(ctx);
        return NULL;
    }
    if (!PyDict_CheckExact(values)) {
        /* No namespace yet, or not the default class: the Python steps. */
        Py_DECREF(values);
        PyObject *result = PyObject_CallFunctionObjArgs(proxy_g_first_set, ctx,
                                                        args[0], args[1], NULL);
        Py_DECREF(ctx);
        return result;
    }
    Py_DECREF(ctx);
    int failed = PyDict_SetItem(values, args[0], args[1]);
    Py_DECREF(values);
    if (failed) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyMethodDef class_hooks[] = {
    {"ctx_push", (PyCFunction)(void (*)(void))ctx_push, METH_FASTCALL,
     "RequestContext.push."},
    {"ctx_pop", (PyCFunction)(void (*)(void))ctx_pop, METH_FASTCALL | METH_KEYWORDS,
     "RequestContext.pop."},
    {"response_prepare", (PyCFunction)(void (*)(void))response_prepare,
     METH_FASTCALL | METH_KEYWORDS, "Response._prepare."},
    {"headers_setitem", (PyCFunction)(void (*)(void))headers_setitem,
     METH_FASTCALL, "Headers.__setitem__."},
    {"request_getattribute", (PyCFunction)(void (*)(void))request_getattribute,
     METH_FASTCALL, "The request proxy's attribute read."},
    {"app_getattribute", (PyCFunction)(void (*)(void))app_getattribute,
     METH_FASTCALL, "The current_app proxy's attribute read."},
    {"g_getattribute", (PyCFunction)(void (*)(void))g_getattribute,
     METH_FASTCALL, "The g proxy's attribute read."},
    {"g_setattr", (PyCFunction)(void (*)(void))g_setattr, METH_FASTCALL,
     "The g proxy's attribute write."},
    {NULL, NULL, 0, NULL},
};

static PyMethodDef speedups_methods[] = {
    {"parse_query_lists", parse_query_lists, METH_O,
     "An ASCII query string as {name: [value, ...]}; None for other text."},
    {"add_new_field", (PyCFunction)(void (*)(void))add_new_field, METH_FASTCALL,
     "Append (name, value) when no field has that name: True; False when one "
     "has; None when the arguments are not plain safe text."},
    {"scan_send_rules", scan_send_rules, METH_O,
     "(has Content-Length, last Location, last Content-Location) of a field "
     "list; None when a name is not ASCII text."},
    {"scan_asgi_fields", (PyCFunction)(void (*)(void))scan_asgi_fields,
     METH_FASTCALL,
     "What Request.from_asgi reads from a scope's header fields; None when a "
     "field is not a pair of bytes."},
    {"encode_asgi_fields", encode_asgi_fields, METH_O,
     "A response's fields as ASGI sends them (lower-case latin-1 names); None "
     "when a name is not ASCII or a value not latin-1."},
    {"new_instance", new_instance, METH_O,
     "object.__new__(cls), without the argument checks of a Python call."},
    {"request_from_asgi", (PyCFunction)(void (*)(void))request_from_asgi,
     METH_FASTCALL | METH_KEYWORDS,
     "Request.from_asgi(cls, scope[, body]) for the classes configure_requests "
     "gave."},
    {"request_from_environ", (PyCFunction)(void (*)(void))request_from_environ,
     METH_FASTCALL,
     "Request._from_environ(cls, environ) for the classes configure_requests "
     "gave."},
    {"configure_requests", (PyCFunction)(void (*)(void))configure_requests,
     METH_FASTCALL,
     "Give request_from_asgi its classes, the Python from_asgi, the empty "
     "body, the methods without a body and the base request class."},
    {"new_request_context", (PyCFunction)(void (*)(void))new_request_context,
     METH_FASTCALL,
     "RequestContext._for_request(app, request), for the RequestContext class."},
    {"configure_contexts", (PyCFunction)(void (*)(void))configure_contexts,
     METH_FASTCALL,
     "Give ctx_push and ctx_pop the context classes and variables, the request "
     "classes whose close() only closes files, the four context signals and "
     "the Python methods."},
    {"configure_response", (PyCFunction)(void (*)(void))configure_response,
     METH_FASTCALL,
     "Give response_prepare the Python Response._prepare and the statuses "
     "without a body."},
    {"configure_headers", configure_headers, METH_O,
     "Give headers_setitem the Python Headers.__setitem__ to fall back on."},
    {"configure_proxies", (PyCFunction)(void (*)(void))configure_proxies,
     METH_FASTCALL,
     "Give the proxy hooks the context variables, names, messages and g's "
     "first-write function of hipflask.globals."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT,
    "hipflask.http._speedups",
    "Optional C versions of hot steps of hipflask's request path.",
    -1,
    speedups_methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    PyObject *module = PyModule_Create(&speedups_module);
    if (module == NULL) {
        return NULL;
    }
    /* Method descriptors of object: unbound methods any class can hold. */
    for (PyMethodDef *def = class_hooks; def->ml_name != NULL; def++) {
        PyObject *descr = PyDescr_NewMethod(&PyBaseObject_Type, def);
        if (descr == NULL || PyModule_AddObject(module, def->ml_name, descr) < 0) {
            Py_XDECREF(descr);
            Py_DECREF(module);
            return NULL;
        }
    }
    return module;
}
