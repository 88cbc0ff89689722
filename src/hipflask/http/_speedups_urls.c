/* Query strings and urlencoded bodies (the twin is in urls.py).
 *
 * parse_query_lists(text) reads an ASCII query string or urlencoded body into
 * {name: [value, ...]}, in hipflask.http.urls's reading of the WHATWG rules:
 * pairs split on "&" (empty ones skipped), name and value on the first "=";
 * in each, "+" is a space and "%XX" a byte; the bytes are read as UTF-8, and
 * a byte that is not valid UTF-8 is written back as "%XX" (the Python codec
 * error handler "hipflask.url_quote", which urls.py registers, does that).
 * Text with a non-ASCII character gives None: the twin decides such text.
 *
 * Every loop is bounded by the input's length; the output of a component is
 * never longer than the component, so one buffer of the input's length holds
 * any of them.
 */
#include "_speedups.h"

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

PyObject *
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
