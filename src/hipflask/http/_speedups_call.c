/* Flask.__call__, the application's entry (the twin is in hipflask/app.py).
 *
 * app_call(python_call, wsgi_app, asgi_app, serve_asgi) makes the object
 * installed as Flask.__call__. Called with (app, environ, start_response),
 * and the app's class still has Flask's own wsgi_app and its instance dict no
 * "wsgi_app" (no WSGI middleware), it calls serve_wsgi directly, as the twin
 * does; with (app, scope, receive, send), and asgi_app Flask's own too, it
 * calls serve_asgi (the Python adapter, which returns the coroutine). Every
 * other call (keywords, middleware, an overridden method) goes to the twin.
 *
 * A C function as a method would hide what servers look for on __call__:
 * uvicorn, hypercorn and asgiref tell an ASGI 3 app by the coroutine marker
 * asyncio.iscoroutinefunction and inspect.iscoroutinefunction read, and
 * inspect.signature follows __wrapped__. So the object is of a small type of
 * its own: a method descriptor (the class calls it with the instance first,
 * unbound, and binds it as a method on attribute access) that has an
 * attribute dict for those markers. app.py copies the twin's name, doc and
 * __wrapped__ into it and marks it.
 *
 * PERF: the twin's frame cost about 1,400 instructions of the 20,400 a
 * WSGI hello request took; a request now reaches its adapter without it.
 */
#include "_speedups.h"

typedef struct {
    PyObject_HEAD
    PyObject *python;   /* the Python Flask.__call__ */
    PyObject *wsgi_app; /* Flask.wsgi_app and asgi_app, as the class holds them */
    PyObject *asgi_app;
    PyObject *serve_asgi; /* the ASGI adapter */
    PyObject *dict;
    vectorcallfunc vectorcall;
} AppCallObject;

static PyObject *str_wsgi_app, *str_asgi_app;

/* 1 when ``app`` goes to an adapter directly, 0 when to the twin, -1 on an
 * error: the twin's test that wsgi_app (and for ASGI asgi_app) is Flask's
 * own, on the class and not replaced in the instance dict. */
static int
app_methods_are_flasks(AppCallObject *call, PyObject *app, int asgi)
{
    PyTypeObject *type = Py_TYPE(app);
    if (_PyType_Lookup(type, str_wsgi_app) != call->wsgi_app
        || (asgi && _PyType_Lookup(type, str_asgi_app) != call->asgi_app)) {
        return 0;
    }
    PyObject **dictptr = _PyObject_GetDictPtr(app);
    if (dictptr == NULL || *dictptr == NULL) {
        return 1;
    }
    int own = PyDict_Contains(*dictptr, str_wsgi_app);
    if (own == 0 && asgi) {
        own = PyDict_Contains(*dictptr, str_asgi_app);
    }
    return own < 0 ? -1 : !own;
}

static PyObject *
app_call_vectorcall(PyObject *callable, PyObject *const *args, size_t nargsf,
                    PyObject *kwnames)
{
    AppCallObject *call = (AppCallObject *)callable;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if ((nargs == 3 || nargs == 4) && kwnames == NULL) {
        int direct = app_methods_are_flasks(call, args[0], nargs == 4);
        if (direct < 0) {
            return NULL;
        }
        if (direct) {
            return nargs == 3 ? serve_wsgi(NULL, args, 3)
                              : PyObject_Vectorcall(call->serve_asgi, args, 4, NULL);
        }
    }
    return PyObject_Vectorcall(call->python, args, nargsf, kwnames);
}

static PyObject *
app_call_get(PyObject *self, PyObject *obj, PyObject *type)
{
    if (obj == NULL) {
        return Py_NewRef(self); /* Flask.__call__: the function itself */
    }
    return PyMethod_New(self, obj);
}

static int
app_call_traverse(AppCallObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->python);
    Py_VISIT(self->wsgi_app);
    Py_VISIT(self->asgi_app);
    Py_VISIT(self->serve_asgi);
    Py_VISIT(self->dict);
    return 0;
}

static int
app_call_clear(AppCallObject *self)
{
    Py_CLEAR(self->python);
    Py_CLEAR(self->wsgi_app);
    Py_CLEAR(self->asgi_app);
    Py_CLEAR(self->serve_asgi);
    Py_CLEAR(self->dict);
    return 0;
}

static void
app_call_dealloc(AppCallObject *self)
{
    PyObject_GC_UnTrack(self);
    app_call_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyGetSetDef app_call_getset[] = {
    {"__dict__", PyObject_GenericGetDict, PyObject_GenericSetDict, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject AppCallType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "hipflask.http._speedups.AppCall",
    .tp_doc = "Flask.__call__ (see app_call).",
    .tp_basicsize = sizeof(AppCallObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL
                | Py_TPFLAGS_METHOD_DESCRIPTOR,
    .tp_dealloc = (destructor)app_call_dealloc,
    .tp_traverse = (traverseproc)app_call_traverse,
    .tp_clear = (inquiry)app_call_clear,
    .tp_vectorcall_offset = offsetof(AppCallObject, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_getattro = PyObject_GenericGetAttr,
    .tp_setattro = PyObject_GenericSetAttr,
    .tp_descr_get = app_call_get,
    .tp_getset = app_call_getset,
    .tp_dictoffset = offsetof(AppCallObject, dict),
};

PyObject *
app_call(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4 || !PyCallable_Check(args[0]) || !PyCallable_Check(args[1])
        || !PyCallable_Check(args[2]) || !PyCallable_Check(args[3])) {
        PyErr_SetString(PyExc_TypeError,
                        "app_call takes the Python Flask.__call__, Flask.wsgi_app, "
                        "Flask.asgi_app and serve_asgi");
        return NULL;
    }
    if (PyType_Ready(&AppCallType) < 0) {
        return NULL;
    }
    INTERN(str_wsgi_app, "wsgi_app");
    INTERN(str_asgi_app, "asgi_app");
    AppCallObject *call = PyObject_GC_New(AppCallObject, &AppCallType);
    if (call == NULL) {
        return NULL;
    }
    call->python = Py_NewRef(args[0]);
    call->wsgi_app = Py_NewRef(args[1]);
    call->asgi_app = Py_NewRef(args[2]);
    call->serve_asgi = Py_NewRef(args[3]);
    call->dict = NULL;
    call->vectorcall = app_call_vectorcall;
    PyObject_GC_Track(call);
    return (PyObject *)call;
}
