/* The request, current_app, g and websocket proxies (the twins are in
 * globals.py).
 *
 * The context proxies of hipflask.globals (request, g, current_app,
 * websocket) read their attributes here once configure_proxies() has been
 * given what the Python versions use: the three context variables, the names
 * a proxy answers itself, g's special names, the "working outside of ...
 * context" messages and the function that writes g when there is no
 * namespace yet (g_setattr makes the default class's namespace itself, as
 * that function would, and leaves it the other cases). The hooks
 * (request_getattribute, app_getattribute, websocket_getattribute,
 * g_getattribute, g_setattr) are method descriptors of object, so a class
 * can take them as its __getattribute__ / __setattr__ and they receive the
 * proxy as self; each follows the Python method of the same class in
 * globals.py step by step.
 */
#include "_speedups.h"

static PyObject *proxy_cv_app;       /* ContextVar of the app context */
static PyObject *proxy_cv_request;   /* ContextVar of the request context */
static PyObject *proxy_own_names;    /* frozenset: what a proxy answers itself */
static PyObject *proxy_g_special;    /* frozenset: names g never reads from its dict */
static PyObject *proxy_no_app_msg;   /* RuntimeError message without an app context */
static PyObject *proxy_no_req_msg;   /* RuntimeError message without a request context */
static PyObject *proxy_g_first_set;  /* Python: g.name = value with no namespace yet */
static PyObject *proxy_cv_websocket; /* ContextVar of the websocket context */
static PyObject *proxy_no_ws_msg;    /* RuntimeError message without a websocket */
static PyObject *str_app, *str_request, *str_websocket, *str_g, *str_g_values,
    *str_app_ctx_globals_class;

PyObject *
configure_proxies(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 9) {
        PyErr_SetString(PyExc_TypeError, "configure_proxies takes 9 arguments");
        return NULL;
    }
    if (!PyFrozenSet_Check(args[2]) || !PyFrozenSet_Check(args[3])
        || !PyUnicode_Check(args[4]) || !PyUnicode_Check(args[5])
        || !PyCallable_Check(args[6]) || !PyUnicode_Check(args[8])) {
        PyErr_SetString(PyExc_TypeError, "configure_proxies: unexpected argument");
        return NULL;
    }
    INTERN(str_app, "app");
    INTERN(str_request, "request");
    INTERN(str_websocket, "websocket");
    INTERN(str_g, "g");
    INTERN(str_g_values, "_g_values");
    INTERN(str_app_ctx_globals_class, "app_ctx_globals_class");
    PyObject **targets[9] = {&proxy_cv_app,     &proxy_cv_request,  &proxy_own_names,
                             &proxy_g_special,  &proxy_no_app_msg,  &proxy_no_req_msg,
                             &proxy_g_first_set, &proxy_cv_websocket, &proxy_no_ws_msg};
    for (int i = 0; i < 9; i++) {
        Py_INCREF(args[i]);
        Py_XSETREF(*targets[i], args[i]);
    }
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

PyObject *
request_getattribute(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    return forwarded_attribute(self, args, nargs, proxy_cv_request,
                               proxy_no_req_msg, str_request, ctx_request_type,
                               rc_request);
}

PyObject *
app_getattribute(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    return forwarded_attribute(self, args, nargs, proxy_cv_app, proxy_no_app_msg,
                               str_app, ctx_app_type, ac_app);
}

PyObject *
websocket_getattribute(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    return forwarded_attribute(self, args, nargs, proxy_cv_websocket, proxy_no_ws_msg,
                               str_websocket, NULL, 0);
}

PyObject *
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

/* The dict of a new g namespace, made in ``ctx`` as _g_first_set makes it:
 * when ``ctx`` is exactly the app context class, has no namespace yet and its
 * app keeps the default g class (a new reference). None when it is not that
 * case (the Python function then writes); NULL on an error. */
static PyObject *
new_g_values(PyObject *ctx)
{
    if (ctx_app_type == NULL || Py_TYPE(ctx) != ctx_app_type
        || slot_get(ctx, ac_g) != Py_None || slot_get(ctx, ac_app) == NULL) {
        Py_RETURN_NONE;
    }
    PyObject *cls = PyObject_GetAttr(slot_get(ctx, ac_app), str_app_ctx_globals_class);
    if (cls == NULL) {
        return NULL;
    }
    Py_DECREF(cls); /* only its identity is needed */
    if (cls != (PyObject *)ctx_g_type) {
        Py_RETURN_NONE;
    }
    PyObject *namespace = ctx_g_type->tp_alloc(ctx_g_type, 0);
    if (namespace == NULL) {
        return NULL;
    }
    PyObject *values = PyObject_GenericGetDict(namespace, NULL);
    if (values != NULL) {
        slot_set(ctx, ac_g, namespace);
        slot_set(ctx, ac_g_values, values);
    }
    Py_DECREF(namespace);
    return values;
}

PyObject *
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
        /* No namespace yet: made here for the default class; else (or not the
         * default class) the Python steps. */
        Py_DECREF(values);
        values = new_g_values(ctx);
        if (values == NULL) {
            Py_DECREF(ctx);
            return NULL;
        }
        if (values == Py_None) {
            Py_DECREF(values);
            PyObject *result = PyObject_CallFunctionObjArgs(proxy_g_first_set, ctx,
                                                            args[0], args[1], NULL);
            Py_DECREF(ctx);
            return result;
        }
    }
    Py_DECREF(ctx);
    int failed = PyDict_SetItem(values, args[0], args[1]);
    Py_DECREF(values);
    if (failed) {
        return NULL;
    }
    Py_RETURN_NONE;
}
