/* Making, pushing and popping request contexts (the twins are in ctx.py).
 *
 * new_request_context(app, request) is RequestContext._for_request for the
 * RequestContext class, and ctx_push(self) and ctx_pop(self[, exc]) are
 * RequestContext.push and pop (configure_contexts, installed by ctx.py), for
 * the exact RequestContext class in the common case: no nested push, the
 * app's own app_context, no teardown function and no receiver of the context
 * signals, a request class whose close() only closes uploaded files. The two
 * context classes' slots are read and written at the offsets their member
 * descriptors give, as those descriptors do. Anything else is the Python
 * method's; every test of the common case is made before the first change,
 * so a method either runs here to the end or leaves the call to Python
 * untouched.
 */
#include "_speedups.h"

PyTypeObject *ctx_request_type; /* RequestContext */
PyTypeObject *ctx_app_type;     /* AppContext */
PyTypeObject *ctx_g_type;       /* the default g class, _AppCtxGlobals */
static PyObject *ctx_cv_app, *ctx_cv_request;
static PyObject *ctx_files_only_close; /* set of request classes */
static PyObject *ctx_signals;          /* pushed, request down, app down, popped */
static PyObject *ctx_python_push, *ctx_python_pop;
static PyObject *str_ctx_app, *str_url_rule,
    *str_routing_exception, *str_match_request, *str_files, *str_close;

enum { SIGNAL_PUSHED, SIGNAL_REQUEST_DOWN, SIGNAL_APP_DOWN, SIGNAL_POPPED };

/* Slot offsets, from the classes' member descriptors. */
Py_ssize_t rc_request, rc_exception, ac_app, ac_g, ac_g_values; /* read elsewhere */
static Py_ssize_t rc_app, rc_token, rc_app_ctx, rc_outer, rc_opened_session,
    rc_after;
static Py_ssize_t ac_outer, ac_token;

PyObject *
configure_contexts(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 9 || !PyType_Check(args[0]) || !PyType_Check(args[1])
        || !PyAnySet_Check(args[4]) || !PyTuple_Check(args[5])
        || PyTuple_GET_SIZE(args[5]) != 4 || !PyCallable_Check(args[6])
        || !PyCallable_Check(args[7]) || !PyType_Check(args[8])) {
        PyErr_SetString(PyExc_TypeError, "configure_contexts: unexpected arguments");
        return NULL;
    }
    PyTypeObject *request_type = (PyTypeObject *)args[0];
    PyTypeObject *app_type = (PyTypeObject *)args[1];
    PyTypeObject *g_type = (PyTypeObject *)args[8];
    if (app_type->tp_new != PyBaseObject_Type.tp_new || app_type->tp_alloc == NULL
        || request_type->tp_new != PyBaseObject_Type.tp_new
        || request_type->tp_alloc == NULL || g_type->tp_new != PyBaseObject_Type.tp_new
        || g_type->tp_alloc == NULL || g_type->tp_dictoffset == 0) {
        PyErr_SetString(PyExc_TypeError,
                        "the context and g classes must keep object's __new__");
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
    INTERN(str_url_rule, "url_rule");
    INTERN(str_routing_exception, "routing_exception");
    INTERN(str_match_request, "_match_request");
    INTERN(str_files, "files");
    INTERN(str_close, "close");
    PyObject **targets[9] = {
        (PyObject **)&ctx_request_type, (PyObject **)&ctx_app_type, &ctx_cv_app,
        &ctx_cv_request, &ctx_files_only_close, &ctx_signals, &ctx_python_push,
        &ctx_python_pop, (PyObject **)&ctx_g_type};
    for (int i = 0; i < 9; i++) {
        Py_INCREF(args[i]);
        Py_XSETREF(*targets[i], args[i]);
    }
    Py_RETURN_NONE;
}

/* Whether a context signal has receivers: 1, 0, or -1 on an error. */
static int
context_signal_heard(int which)
{
    return has_receivers(PyTuple_GET_ITEM(ctx_signals, which));
}

/* RequestContext._for_request(app, request) for the RequestContext class. */
PyObject *
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
        PyObject *current_app = Py_IS_TYPE(current, ctx_app_type)
                                    ? slot_get(current, ac_app)
                                    : NULL;
        current_app = current_app != NULL ? Py_NewRef(current_app)
                                          : PyObject_GetAttr(current, str_ctx_app);
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
    PyObject *plain = app_field(app, APP_PLAIN_APP_CONTEXT);
    if (plain == NULL) {
        return -1;
    }
    int is_plain = plain == Py_True;
    Py_DECREF(plain);
    if (!is_plain) {
        return 0;
    }
    int receivers = context_signal_heard(SIGNAL_PUSHED);
    return receivers < 0 ? -1 : !receivers;
}

PyObject *
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
    PyObject *rule = request_field(request, rq_url_rule, str_url_rule);
    PyObject *error = rule == NULL ? NULL
                                   : request_field(request, rq_routing_exception,
                                                   str_routing_exception);
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
    int check = app_field_is_true(app, APP_TEARDOWN_REQUEST);
    if (check != 0) {
        return check < 0 ? -1 : 0;
    }
    if ((check = context_signal_heard(SIGNAL_REQUEST_DOWN)) != 0) {
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
        if ((check = app_field_is_true(app, APP_TEARDOWN_APPCONTEXT))
                != 0
            || (check = context_signal_heard(SIGNAL_APP_DOWN)) != 0
            || (check = context_signal_heard(SIGNAL_POPPED)) != 0) {
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

PyObject *
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
