/* Optional C versions of hot helpers of hipflask.http; see _speedups.pyi.
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
 * Every loop is bounded by the input's length; the output of a component is
 * never longer than the component, so one buffer of the input's length holds
 * any of them.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

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

static PyMethodDef speedups_methods[] = {
    {"parse_query_lists", parse_query_lists, METH_O,
     "An ASCII query string as {name: [value, ...]}; None for other text."},
    {"add_new_field", (PyCFunction)(void (*)(void))add_new_field, METH_FASTCALL,
     "Append (name, value) when no field has that name: True; False when one "
     "has; None when the arguments are not plain safe text."},
    {"scan_send_rules", scan_send_rules, METH_O,
     "(has Content-Length, last Location, last Content-Location) of a field "
     "list; None when a name is not ASCII text."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT,
    "hipflask.http._speedups",
    "Optional C versions of hot helpers of hipflask.http.",
    -1,
    speedups_methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModule_Create(&speedups_module);
}
