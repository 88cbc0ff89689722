/* Request.from_asgi and Request._from_environ (the twins are in request.py).
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
 */
#include "_speedups.h"

static PyObject *req_classes;         /* set: the classes answered here */
static PyObject *req_python_from_asgi; /* the Python function (cls, scope, body) */
static PyObject *req_python_from_environ; /* the Python function (cls, environ) */
static PyObject *req_empty_stream, *req_bodyless;
static PyObject *str_method, *str_root_path, *str_path, *str_headers_key,
    *str_scope_content_headers, *str_get_method, *str_empty, *str_slash,
    *str_request_method, *str_path_info, *str_werkzeug_request;
Py_ssize_t rq_environ, rq_scope, rq_body, rq_url_rule, rq_view_args,
    rq_routing_exception, rq_shallow, rq_method, rq_path, rq_bad_host,
    rq_cookie_sent, rq_cookie_field, rq_body_announced;

/* Whether ``type`` is one of the classes given to configure_requests: 1, 0,
 * or -1 with an exception set. */
static int
registered_class(PyTypeObject *type)
{
    /* The last class found in req_classes (which only grows). */
    static PyTypeObject *known_class;
    if (req_classes == NULL) {
        return 0;
    }
    if (type == known_class) {
        return 1;
    }
    int known = PySet_Contains(req_classes, (PyObject *)type);
    if (known > 0) {
        known_class = type;
    }
    return known;
}

PyObject *
request_field(PyObject *request, Py_ssize_t offset, PyObject *name)
{
    int known = registered_class(Py_TYPE(request));
    if (known < 0) {
        return NULL;
    }
    PyObject *value = known ? slot_get(request, offset) : NULL;
    if (value != NULL) {
        return Py_NewRef(value);
    }
    return PyObject_GetAttr(request, name);
}

int
request_set_field(PyObject *request, Py_ssize_t offset, PyObject *name,
                  PyObject *value)
{
    PyTypeObject *type = Py_TYPE(request);
    if (type->tp_setattro == PyObject_GenericSetAttr) {
        int known = registered_class(type);
        if (known < 0) {
            return -1;
        }
        if (known) {
            slot_set(request, offset, value);
            return 0;
        }
    }
    return PyObject_SetAttr(request, name, value);
}


PyObject *
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
    static const char *const names[13] = {
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
    if (classes_keep_slots(args[0], (PyTypeObject *)base, names, 13,
                           "configure_requests")
        < 0) {
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

/* A new ``cls`` instance with the fields both builders set: the environ or
 * the scope (the other None), the body, method and path, no match yet. */
static PyObject *
new_request(PyTypeObject *cls, PyObject *environ, PyObject *scope, PyObject *body,
            PyObject *method, PyObject *path)
{
    PyObject *self = cls->tp_alloc(cls, 0);
    if (self == NULL) {
        return NULL;
    }
    slot_set(self, rq_environ, environ);
    slot_set(self, rq_scope, scope);
    slot_set(self, rq_body, body);
    slot_set(self, rq_url_rule, Py_None);
    slot_set(self, rq_view_args, Py_None);
    slot_set(self, rq_routing_exception, Py_None);
    slot_set(self, rq_shallow, Py_False);
    slot_set(self, rq_method, method);
    slot_set(self, rq_path, path);
    return self;
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
    self = new_request(cls, Py_None, scope, body, method, path);
    if (self == NULL) {
        goto error;
    }
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

PyObject *
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
    PyObject *self = new_request(cls, environ, Py_None, req_empty_stream, method, path);
    Py_DECREF(path);
    if (self == NULL) {
        return NULL;
    }
    PyObject *proxy = PyWeakref_NewProxy(self, NULL);
    if (proxy == NULL || PyDict_SetItem(environ, str_werkzeug_request, proxy) < 0) {
        Py_XDECREF(proxy);
        Py_DECREF(self);
        return NULL;
    }
    Py_DECREF(proxy);
    return self;
}

PyObject *
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
