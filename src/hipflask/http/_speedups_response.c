/* Response._prepare, text_response and plain_response (the twins are in
 * response.py).
 *
 * response_prepare(self, method[, current_url]) is Response._prepare,
 * installed on the class as a method descriptor (configure_response): it
 * answers the usual case itself, a list body of bytes whose fields already
 * have a Content-Length and no Location or Content-Location, for a method
 * other than HEAD and a status with a body, without direct_passthrough: then
 * the response sends (status code, its own field list, its body) unchanged.
 * Everything else is the Python method's.
 *
 * text_response(cls, text[, mimetype[, status]]) makes cls(text, status,
 * mimetype=mimetype) for the classes configure_text_response was given that
 * keep Response.__init__, when the status and the Content-Type of the
 * mimetype are known: the instance is allocated and its slots filled, as the
 * Python twin fills them. plain_response(text, mimetype) gives the parts such
 * a response sends, (200, "200 OK", fields, [body]). Other arguments go to the
 * Python functions.
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

/* -- text_response(cls, text[, mimetype[, status]]) ---------------------- */

static PyObject *text_classes;       /* set: the classes made here */
static PyObject *text_python;        /* the Python text_response */
static PyObject *plain_python;       /* the Python plain_response */
static PyObject *text_init;          /* Response.__init__ */
static PyObject *text_content_types; /* dict: mimetype -> Content-Type value */
static PyObject *text_status_lines;  /* dict: status code -> status line */
static PyObject *text_sizes;         /* tuple: str(n) for the small n */
static PyTypeObject *text_headers_type;
static Py_ssize_t rs_headers, rs_status, rs_status_code, rs_response, hd_list;
static PyObject *str_init, *str_default_mimetype, *str_default_status,
    *str_automatically_set_content_length, *str_content_type_name,
    *str_content_length_name, *str_200_ok, *int_200;

PyObject *
configure_text_response(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 9 || !PyAnySet_Check(args[0]) || !PyCallable_Check(args[1])
        || !PyCallable_Check(args[2]) || !PyType_Check(args[3])
        || !PyType_Check(args[4]) || !PyDict_CheckExact(args[6])
        || !PyDict_CheckExact(args[7]) || !PyTuple_CheckExact(args[8])) {
        PyErr_SetString(PyExc_TypeError,
                        "configure_text_response: unexpected arguments");
        return NULL;
    }
    PyTypeObject *base = (PyTypeObject *)args[3];
    PyTypeObject *headers_type = (PyTypeObject *)args[4];
    static const char *const names[4] = {"headers", "_status", "_status_code",
                                         "response"};
    Py_ssize_t *offsets[4] = {&rs_headers, &rs_status, &rs_status_code,
                              &rs_response};
    for (int i = 0; i < 4; i++) {
        if (slot_offset(base, names[i], offsets[i]) < 0) {
            return NULL;
        }
    }
    if (slot_offset(headers_type, "_list", &hd_list) < 0
        || classes_keep_slots(args[0], base, names, 4, "configure_text_response") < 0) {
        return NULL;
    }
    if (headers_type->tp_new != PyBaseObject_Type.tp_new
        || headers_type->tp_alloc == NULL) {
        PyErr_SetString(PyExc_TypeError,
                        "configure_text_response: Headers must keep object's __new__");
        return NULL;
    }
    INTERN(str_init, "__init__");
    INTERN(str_default_mimetype, "default_mimetype");
    INTERN(str_default_status, "default_status");
    INTERN(str_automatically_set_content_length, "automatically_set_content_length");
    INTERN(str_content_type_name, "Content-Type");
    INTERN(str_content_length_name, "Content-Length");
    INTERN(str_200_ok, "200 OK");
    if (int_200 == NULL && (int_200 = PyLong_FromLong(200)) == NULL) {
        return NULL;
    }
    /* The base class is only read here (its slot offsets). */
    PyObject **targets[9] = {&text_classes,       &text_python,
                             &plain_python,       NULL,
                             (PyObject **)&text_headers_type, &text_init,
                             &text_content_types, &text_status_lines,
                             &text_sizes};
    for (int i = 0; i < 9; i++) {
        if (targets[i] != NULL) {
            Py_INCREF(args[i]);
            Py_XSETREF(*targets[i], args[i]);
        }
    }
    Py_RETURN_NONE;
}

/* The Content-Type value the table gives for ``mimetype`` when it is a
 * non-empty str (a new reference); NULL otherwise, with an error set only
 * when the lookup failed. */
static PyObject *
known_content_type(PyObject *mimetype)
{
    PyObject *content_type = PyDict_GetItemWithError(text_content_types, mimetype);
    if (content_type == NULL || !PyUnicode_CheckExact(content_type)
        || PyUnicode_GET_LENGTH(content_type) == 0) {
        return NULL;
    }
    return Py_NewRef(content_type);
}

/* [("Content-Type", content_type), ("Content-Length", str(len(data)))]: the
 * fields of a text response (a new list; NULL on an error). */
static PyObject *
text_fields(PyObject *content_type, PyObject *data)
{
    Py_ssize_t size = PyBytes_GET_SIZE(data);
    PyObject *size_text;
    if (size < PyTuple_GET_SIZE(text_sizes)) {
        size_text = PyTuple_GET_ITEM(text_sizes, size);
        Py_INCREF(size_text);
    }
    else if ((size_text = PyUnicode_FromFormat("%zd", size)) == NULL) {
        return NULL;
    }
    PyObject *type_field = PyTuple_Pack(2, str_content_type_name, content_type);
    PyObject *length_field = PyTuple_Pack(2, str_content_length_name, size_text);
    Py_DECREF(size_text);
    PyObject *fields = PyList_New(2);
    if (type_field == NULL || length_field == NULL || fields == NULL) {
        Py_XDECREF(type_field);
        Py_XDECREF(length_field);
        Py_XDECREF(fields);
        return NULL;
    }
    PyList_SET_ITEM(fields, 0, type_field);
    PyList_SET_ITEM(fields, 1, length_field);
    return fields;
}

/* [data] (a new list; NULL on an error). */
static PyObject *
one_chunk(PyObject *data)
{
    PyObject *body = PyList_New(1);
    if (body != NULL) {
        Py_INCREF(data);
        PyList_SET_ITEM(body, 0, data);
    }
    return body;
}

/* A new ``cls`` instance filled as text_response fills one: its slots set,
 * its fields a new Headers of text_fields (references to the arguments are
 * taken). NULL on an error. */
static PyObject *
filled_response(PyTypeObject *cls, PyObject *line, PyObject *code,
                PyObject *content_type, PyObject *data)
{
    PyObject *fields = text_fields(content_type, data);
    PyObject *body = one_chunk(data);
    PyObject *headers = text_headers_type->tp_alloc(text_headers_type, 0);
    PyObject *response = cls->tp_alloc(cls, 0);
    if (fields == NULL || body == NULL || headers == NULL || response == NULL) {
        Py_XDECREF(fields);
        Py_XDECREF(body);
        Py_XDECREF(headers);
        Py_XDECREF(response);
        return NULL;
    }
    slot_set(headers, hd_list, fields);
    Py_DECREF(fields);
    slot_set(response, rs_headers, headers);
    Py_DECREF(headers);
    slot_set(response, rs_status, line);
    slot_set(response, rs_status_code, code);
    slot_set(response, rs_response, body);
    Py_DECREF(body);
    return response;
}

/* The response text_response makes, when ``cls`` is a configured class that
 * keeps Response.__init__, with an int status (``status``, else the class's
 * default) of a known line, a str mimetype of a known Content-Type and
 * automatic Content-Length, and ``text`` encodes (a new reference); None when
 * it is not that case (the Python function then makes it, or raises); NULL on
 * an error. */
static PyObject *
text_made_here(PyObject *cls, PyObject *text, PyObject *mimetype, PyObject *status)
{
    PyObject *init = NULL, *code = NULL, *line = NULL, *content_type = NULL;
    PyObject *data = NULL, *result = NULL;
    Py_INCREF(mimetype);
    int known = PySet_Contains(text_classes, cls);
    if (known <= 0) {
        goto declined_or_error;
    }
    if ((init = PyObject_GetAttr(cls, str_init)) == NULL) {
        goto error;
    }
    if (init != text_init) {
        goto decline;
    }
    if (mimetype == Py_None) {
        Py_SETREF(mimetype, PyObject_GetAttr(cls, str_default_mimetype));
        if (mimetype == NULL) {
            goto error;
        }
    }
    if (status != Py_None) {
        code = Py_NewRef(status);
    }
    else if ((code = PyObject_GetAttr(cls, str_default_status)) == NULL) {
        goto error;
    }
    if (!PyLong_CheckExact(code) || !PyUnicode_CheckExact(mimetype)) {
        goto decline;
    }
    line = PyDict_GetItemWithError(text_status_lines, code);
    if (line == NULL) {
        goto declined_or_error;
    }
    Py_INCREF(line);
    if ((content_type = known_content_type(mimetype)) == NULL) {
        goto declined_or_error;
    }
    int automatic = attribute_is_true(cls, str_automatically_set_content_length);
    if (automatic <= 0) {
        goto declined_or_error;
    }
    if ((data = PyUnicode_AsUTF8String(text)) == NULL) {
        PyErr_Clear(); /* the Python function raises it */
        goto decline;
    }
    result = filled_response((PyTypeObject *)cls, line, code, content_type, data);
    goto done;
declined_or_error:
    if (PyErr_Occurred()) {
        goto error;
    }
decline:
    result = Py_None;
    Py_INCREF(result);
    goto done;
error:
    result = NULL;
done:
    Py_XDECREF(mimetype);
    Py_XDECREF(init);
    Py_XDECREF(code);
    Py_XDECREF(line);
    Py_XDECREF(content_type);
    Py_XDECREF(data);
    return result;
}

PyObject *
text_response(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
              PyObject *kwnames)
{
    if (text_python == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure_text_response was not called");
        return NULL;
    }
    if (nargs >= 2 && nargs <= 4 && kwnames == NULL && PyType_Check(args[0])
        && PyUnicode_CheckExact(args[1])) {
        PyObject *made = text_made_here(args[0], args[1], nargs >= 3 ? args[2] : Py_None,
                                        nargs == 4 ? args[3] : Py_None);
        if (made != Py_None) {
            return made; /* the response, or NULL on an error */
        }
        Py_DECREF(made);
    }
    return PyObject_Vectorcall(text_python, args, nargs, kwnames);
}

/* -- plain_response(text, mimetype) -------------------------------------- */

/* The tuple plain_response gives, for a str text and a str mimetype of a
 * known Content-Type (a new reference); None when it is not that case (the
 * Python function then makes it, or raises); NULL on an error. */
static PyObject *
plain_made_here(PyObject *text, PyObject *mimetype)
{
    if (!PyUnicode_CheckExact(text) || !PyUnicode_CheckExact(mimetype)) {
        Py_RETURN_NONE;
    }
    PyObject *content_type = known_content_type(mimetype);
    if (content_type == NULL) {
        return PyErr_Occurred() ? NULL : Py_NewRef(Py_None);
    }
    PyObject *data = PyUnicode_AsUTF8String(text);
    if (data == NULL) {
        PyErr_Clear(); /* the Python function raises it */
        Py_DECREF(content_type);
        Py_RETURN_NONE;
    }
    PyObject *fields = text_fields(content_type, data);
    PyObject *body = one_chunk(data);
    PyObject *result = NULL;
    if (fields != NULL && body != NULL) {
        result = PyTuple_Pack(4, int_200, str_200_ok, fields, body);
    }
    Py_XDECREF(fields);
    Py_XDECREF(body);
    Py_DECREF(data);
    Py_DECREF(content_type);
    return result;
}

PyObject *
plain_response(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (plain_python == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure_text_response was not called");
        return NULL;
    }
    if (nargs == 2) {
        PyObject *made = plain_made_here(args[0], args[1]);
        if (made != Py_None) {
            return made; /* the tuple, or NULL on an error */
        }
        Py_DECREF(made);
    }
    return PyObject_Vectorcall(plain_python, args, nargs, NULL);
}

/* page_parts(error): the parts of an HTTP error's standard page (the twin is
 * page_parts in response.py). Answered here when the page was met before:
 * an error whose code is an int and description None or a str, no response
 * of its own, a class that keeps the base class's page methods, the default
 * Response class setting Content-Length, and the twin's table of made pages
 * holding (code, phrase, description). Everything else (and the first of each
 * page, which the twin adds to the table) is the twin's. */
static PyObject *page_python;       /* the Python page_parts */
static PyObject *page_made;         /* dict: (code, phrase, description) -> parts */
static PyObject *page_phrases;      /* HTTP_STATUS_CODES */
static PyObject *page_content_type; /* the ("Content-Type", ...) pair of the page */
static PyObject *page_response_class;
enum { PAGE_METHODS = 6 };
static const char *const page_method_names[PAGE_METHODS] = {
    "get_response", "_page", "get_headers", "get_body", "get_description", "name"};
static PyObject *page_names[PAGE_METHODS], *page_methods[PAGE_METHODS];
static kept_descriptors page_kept = {PAGE_METHODS, page_method_names, page_names,
                                     page_methods, NULL, 0};
static PyObject *str_code, *str_description, *str_page_response;

PyObject *
configure_page_parts(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 6 || !PyCallable_Check(args[0]) || !PyDict_CheckExact(args[1])
        || !PyType_Check(args[2]) || !PyDict_CheckExact(args[3])
        || !PyTuple_CheckExact(args[4]) || !PyType_Check(args[5])) {
        PyErr_SetString(PyExc_TypeError, "configure_page_parts: unexpected arguments");
        return NULL;
    }
    if (remember_descriptors(&page_kept, (PyTypeObject *)args[2], NULL) < 0) {
        return NULL;
    }
    INTERN(str_code, "code");
    INTERN(str_description, "description");
    INTERN(str_page_response, "response");
    INTERN(str_automatically_set_content_length, "automatically_set_content_length");
    INTERN(str_content_length_name, "Content-Length");
    PyObject **targets[5] = {&page_python, &page_made, &page_phrases,
                             &page_content_type, &page_response_class};
    PyObject *given[5] = {args[0], args[1], args[3], args[4], args[5]};
    for (int i = 0; i < 5; i++) {
        Py_INCREF(given[i]);
        Py_XSETREF(*targets[i], given[i]);
    }
    Py_RETURN_NONE;
}

/* The parts for the table's entry ``made`` (line, body, length), or NULL with
 * no exception when the entry is not of that shape. */
static PyObject *
parts_of_page(PyObject *code, PyObject *made)
{
    if (!PyTuple_CheckExact(made) || PyTuple_GET_SIZE(made) != 3) {
        return NULL;
    }
    PyObject *length = PyTuple_Pack(2, str_content_length_name, PyTuple_GET_ITEM(made, 2));
    PyObject *fields = length == NULL ? NULL : PyList_New(2);
    PyObject *body = fields == NULL ? NULL : PyList_New(1);
    PyObject *parts = NULL;
    if (body != NULL) {
        PyList_SET_ITEM(fields, 0, Py_NewRef(page_content_type));
        PyList_SET_ITEM(fields, 1, Py_NewRef(length));
        PyList_SET_ITEM(body, 0, Py_NewRef(PyTuple_GET_ITEM(made, 1)));
        parts = PyTuple_Pack(4, code, PyTuple_GET_ITEM(made, 0), fields, body);
        if (parts == NULL) {
            return NULL; /* with the exception */
        }
    }
    Py_XDECREF(body);
    Py_XDECREF(fields);
    Py_XDECREF(length);
    return parts;
}

PyObject *
page_parts(PyObject *module, PyObject *error)
{
    if (page_python == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure_page_parts was not called");
        return NULL;
    }
    /* Read in the twin's order (which attribute a wrong argument lacks first). */
    PyObject *code = instance_attribute(error, str_code);
    PyObject *description =
        code == NULL ? NULL : instance_attribute(error, str_description);
    PyObject *response =
        description == NULL ? NULL : instance_attribute(error, str_page_response);
    PyObject *parts = NULL;
    if (response == NULL) {
        goto done;
    }
    PyObject *setting = _PyType_Lookup((PyTypeObject *)page_response_class,
                                       str_automatically_set_content_length);
    if (response == Py_None && PyLong_CheckExact(code)
        && (description == Py_None || PyUnicode_CheckExact(description))
        && setting == Py_True && keeps_descriptors(&page_kept, Py_TYPE(error))) {
        PyObject *phrase = PyDict_GetItemWithError(page_phrases, code);
        PyObject *key =
            phrase == NULL ? NULL : PyTuple_Pack(3, code, phrase, description);
        PyObject *made = key == NULL ? NULL : PyDict_GetItemWithError(page_made, key);
        Py_XDECREF(key);
        parts = made == NULL ? NULL : parts_of_page(code, made);
    }
    if (parts == NULL && !PyErr_Occurred()) {
        parts = PyObject_CallOneArg(page_python, error);
    }
done:
    Py_XDECREF(response);
    Py_XDECREF(description);
    Py_XDECREF(code);
    return parts;
}
