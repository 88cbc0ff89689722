/* The WSGI adapter's serve_wsgi (the twin is in hipflask/wsgi.py).
 *
 * serve_wsgi(app, environ, start_response) runs the twin's steps for an
 * environ that is a dict: build the request (Request._from_environ for the
 * default class, else request_class(environ)) and its context, push it, call
 * app._handle_direct(ctx), start the response, and in every case pop the
 * context with the error Flask's teardown functions see. Each step that is
 * Python's (push, the pipeline, should_ignore_error, pop, and sending a
 * Response object rather than the parts of one) is called as the twin calls
 * it; what runs here is the order, the error bookkeeping and the fixed-body
 * answer (start_response(status, fields), then the body, or () for HEAD).
 *
 * As in the twin's try/finally, an exception from the steps is raised again
 * after the pop, and while the pop runs it is the exception being handled
 * (sys.exc_info(), and what an exception raised then is chained to); an
 * exception from the pop (or the rest of the finally part) replaces it.
 * Other environ types go to the twin.
 */
#include "_speedups.h"

static PyObject *wsgi_request_class; /* the default request class */
static PyObject *wsgi_python_serve;  /* the Python serve_wsgi */
static PyObject *wsgi_send_response; /* Python: send a Response object */
static PyObject *wsgi_cv_app_get, *wsgi_cv_request_get; /* the ContextVar.get methods */
static PyObject *str_request_class, *str_push, *str_pop, *str_handle_direct,
    *str_exception, *str_should_ignore_error, *str_request_method_attr, *str_head,
    *str_preserve_context;

PyObject *
configure_wsgi(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 5 || !PyType_Check(args[0]) || !PyCallable_Check(args[1])
        || !PyCallable_Check(args[2]) || !PyCallable_Check(args[3])
        || !PyCallable_Check(args[4])) {
        PyErr_SetString(PyExc_TypeError, "configure_wsgi: unexpected arguments");
        return NULL;
    }
    INTERN(str_request_class, "request_class");
    INTERN(str_push, "push");
    INTERN(str_pop, "pop");
    INTERN(str_handle_direct, "_handle_direct");
    INTERN(str_exception, "_exception");
    INTERN(str_should_ignore_error, "should_ignore_error");
    INTERN(str_request_method_attr, "method");
    INTERN(str_head, "HEAD");
    INTERN(str_preserve_context, "hipflask.preserve_context");
    PyObject **targets[5] = {&wsgi_request_class, &wsgi_python_serve,
                             &wsgi_send_response, &wsgi_cv_app_get,
                             &wsgi_cv_request_get};
    for (int i = 0; i < 5; i++) {
        Py_INCREF(args[i]);
        Py_XSETREF(*targets[i], args[i]);
    }
    Py_RETURN_NONE;
}

/* The request the twin builds for ``environ`` (a new reference). */
static PyObject *
new_wsgi_request(PyObject *app, PyObject *environ)
{
    PyObject *request_class = instance_attribute(app, str_request_class);
    if (request_class == NULL) {
        return NULL;
    }
    PyObject *request;
    if (request_class == wsgi_request_class) {
        PyObject *call[2] = {request_class, environ};
        request = request_from_environ(NULL, call, 2);
    }
    else {
        request = PyObject_CallOneArg(request_class, environ);
    }
    Py_DECREF(request_class);
    return request;
}

/* The steps inside the twin's try: push, the pipeline, starting the
 * response; the body to return (a new reference), or NULL with the exception
 * set. *error is set to the pipeline's exception (a new reference) when the
 * pipeline raised, as the twin's ``except BaseException as e`` records it. */
static PyObject *
pushed_and_answered(PyObject *app, PyObject *environ, PyObject *start_response,
                    PyObject *request, PyObject *ctx, PyObject **error)
{
    PyTypeObject *ctx_type = Py_TYPE(ctx);
    PyObject *pushed = is_c_method(ctx_type, str_push, (PyCFunction)(void (*)(void))ctx_push)
                           ? ctx_push(ctx, NULL, 0)
                           : PyObject_CallMethodNoArgs(ctx, str_push);
    if (pushed == NULL) {
        return NULL;
    }
    Py_DECREF(pushed);
    PyObject *response =
        is_c_method(Py_TYPE(app), str_handle_direct, (PyCFunction)(void (*)(void))handle_direct)
            ? handle_direct(app, &ctx, 1)
            : PyObject_CallMethodOneArg(app, str_handle_direct, ctx);
    if (response == NULL) {
        *error = take_error();
        Py_INCREF(*error);
        give_error(*error); /* still raised: the twin's bare ``raise`` */
        return NULL;
    }
    PyObject *body = NULL;
    if (!PyTuple_Check(response)) {
        PyObject *send[4] = {request, response, environ, start_response};
        body = PyObject_Vectorcall(wsgi_send_response, send, 4, NULL);
    }
    else if (PyTuple_GET_SIZE(response) != 4) {
        PyErr_SetString(PyExc_TypeError, "a fixed-body response has 4 parts");
    }
    else {
        PyObject *start[2] = {PyTuple_GET_ITEM(response, 1),
                              PyTuple_GET_ITEM(response, 2)};
        PyObject *started = PyObject_Vectorcall(start_response, start, 2, NULL);
        PyObject *method = started == NULL
                               ? NULL
                               : request_field(request, rq_method,
                                               str_request_method_attr);
        Py_XDECREF(started);
        if (method != NULL) {
            int not_head = str_differs(method, str_head);
            Py_DECREF(method);
            if (not_head > 0) {
                body = Py_NewRef(PyTuple_GET_ITEM(response, 3));
            }
            else if (not_head == 0) {
                body = PyTuple_New(0);
            }
        }
    }
    Py_DECREF(response);
    return body;
}

/* ``preserve(value)`` for the value ``get()`` gives (0, or -1 on an error). */
static int
preserve_current(PyObject *preserve, PyObject *get)
{
    PyObject *current = PyObject_CallNoArgs(get);
    if (current == NULL) {
        return -1;
    }
    PyObject *done = PyObject_CallOneArg(preserve, current);
    Py_DECREF(current);
    Py_XDECREF(done);
    return done == NULL ? -1 : 0;
}

/* The twin's finally part: the test client's preserve callback, the error
 * the teardown functions see, the pop. 0, or -1 with an exception set.
 * ``error`` is a borrowed reference or NULL. */
static int
popped(PyObject *app, PyObject *environ, PyObject *ctx, PyObject *error)
{
    PyObject *preserve = PyDict_GetItemWithError(environ, str_preserve_context);
    if (preserve == NULL && PyErr_Occurred()) {
        return -1;
    }
    if (preserve != NULL && preserve != Py_None) {
        Py_INCREF(preserve);
        int failed = preserve_current(preserve, wsgi_cv_app_get) < 0
                     || preserve_current(preserve, wsgi_cv_request_get) < 0;
        Py_DECREF(preserve);
        if (failed) {
            return -1;
        }
    }
    PyObject *seen; /* a new reference */
    if (error != NULL) {
        seen = Py_NewRef(error);
    }
    else if (Py_IS_TYPE(ctx, ctx_request_type) && slot_get(ctx, rc_exception) != NULL) {
        seen = Py_NewRef(slot_get(ctx, rc_exception));
    }
    else if ((seen = PyObject_GetAttr(ctx, str_exception)) == NULL) {
        return -1;
    }
    if (seen != Py_None) {
        PyObject *ignore = PyObject_CallMethodOneArg(app, str_should_ignore_error, seen);
        int ignored = ignore == NULL ? -1 : PyObject_IsTrue(ignore);
        Py_XDECREF(ignore);
        if (ignored < 0) {
            Py_DECREF(seen);
            return -1;
        }
        if (ignored) {
            Py_SETREF(seen, Py_NewRef(Py_None));
        }
    }
    PyObject *done = is_c_method(Py_TYPE(ctx), str_pop, (PyCFunction)(void (*)(void))ctx_pop)
                         ? ctx_pop(ctx, &seen, 1, NULL)
                         : PyObject_CallMethodOneArg(ctx, str_pop, seen);
    Py_DECREF(seen);
    Py_XDECREF(done);
    return done == NULL ? -1 : 0;
}

PyObject *
serve_wsgi(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (wsgi_python_serve == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure_wsgi was not called");
        return NULL;
    }
    if (nargs != 3 || !PyDict_CheckExact(args[1])) {
        return PyObject_Vectorcall(wsgi_python_serve, args, nargs, NULL);
    }
    PyObject *app = args[0], *environ = args[1], *start_response = args[2];
    PyObject *request = new_wsgi_request(app, environ);
    if (request == NULL) {
        return NULL;
    }
    PyObject *call[2] = {app, request};
    PyObject *ctx = new_request_context(NULL, call, 2);
    if (ctx == NULL) {
        Py_DECREF(request);
        return NULL;
    }
    PyObject *error = NULL;
    PyObject *body =
        pushed_and_answered(app, environ, start_response, request, ctx, &error);
    PyObject *raised = body == NULL ? take_error() : NULL;
    /* While the finally part runs, the raised exception is the one being
     * handled, as in the twin: what the part raises is chained to it. */
    PyObject *outer = raised != NULL ? handle_exception(raised) : NULL;
    int failed = popped(app, environ, ctx, error) < 0;
    if (raised != NULL) {
        restore_handled_exception(outer);
    }
    if (failed) { /* the finally part's error replaces any other */
        Py_CLEAR(body);
        Py_XSETREF(raised, take_error());
    }
    if (raised != NULL) {
        give_error(raised);
    }
    Py_XDECREF(error);
    Py_DECREF(ctx);
    Py_DECREF(request);
    return body;
}
