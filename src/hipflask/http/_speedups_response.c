/* Response._prepare (the twin is in response.py).
 *
 * response_prepare(self, method[, current_url]) is Response._prepare,
 * installed on the class as a method descriptor (configure_response): it
 * answers the usual case itself, a list body of bytes whose fields already
 * have a Content-Length and no Location or Content-Location, for a method
 * other than HEAD and a status with a body, without direct_passthrough: then
 * the response sends (status code, its own field list, its body) unchanged.
 * Everything else is the Python method's.
 */
#include "_speedups.h"

static PyObject *response_python_prepare; /* the Python Response._prepare */
static PyObject *response_no_body_statuses; /* frozenset of status codes */
static PyObject *str_list, *str_status_code, *str_headers, *str_response,
    *str_direct_passthrough;

PyObject *
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

PyObject *
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
