/* new_instance, and what the other files share: calling a Python twin with
 * self first, carrying an exception across cleanup, slot offsets.
 *
 * new_instance(cls) is object.__new__(cls). For a class that keeps object's
 * way of making instances (no __new__ of its own, not abstract), the class's
 * allocator is called directly, as object.__new__ ends up doing; calling
 * object.__new__ from Python first packs and checks an argument tuple, which
 * costs more than the allocation. Any other argument is handed to
 * object.__new__ itself, so results and errors are the same.
 */
#include "_speedups.h"

PyObject *
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


int
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

PyObject *
instance_attribute(PyObject *obj, PyObject *name)
{
    PyTypeObject *type = Py_TYPE(obj);
    if (type->tp_getattro == PyObject_GenericGetAttr) {
        PyObject *descr = _PyType_Lookup(type, name);
        if (descr == NULL || Py_TYPE(descr)->tp_descr_set == NULL) {
            PyObject **dictptr = _PyObject_GetDictPtr(obj);
            if (dictptr != NULL && *dictptr != NULL) {
                PyObject *value = PyDict_GetItemWithError(*dictptr, name);
                if (value != NULL) {
                    return Py_NewRef(value);
                }
                if (PyErr_Occurred()) {
                    return NULL;
                }
                if (descr != NULL && Py_TYPE(descr)->tp_descr_get == NULL) {
                    return Py_NewRef(descr); /* a class attribute, as it is */
                }
            }
        }
    }
    return PyObject_GetAttr(obj, name);
}

static PyTypeObject *signal_type; /* the signal class that keeps receivers in a slot */
static Py_ssize_t signal_receivers;
static PyObject *str_receivers;

PyObject *
configure_signals(PyObject *module, PyObject *cls)
{
    if (!PyType_Check(cls)) {
        PyErr_SetString(PyExc_TypeError, "configure_signals: a class");
        return NULL;
    }
    INTERN(str_receivers, "receivers");
    if (slot_offset((PyTypeObject *)cls, "receivers", &signal_receivers) < 0) {
        return NULL;
    }
    Py_INCREF(cls);
    Py_XSETREF(signal_type, (PyTypeObject *)cls);
    Py_RETURN_NONE;
}

int
has_receivers(PyObject *signal)
{
    if (Py_IS_TYPE(signal, signal_type)) {
        PyObject *receivers = slot_get(signal, signal_receivers);
        if (receivers != NULL && PyDict_CheckExact(receivers)) {
            return PyDict_GET_SIZE(receivers) != 0;
        }
    }
    if (str_receivers == NULL
        && (str_receivers = PyUnicode_InternFromString("receivers")) == NULL) {
        return -1;
    }
    return instance_attribute_is_true(signal, str_receivers);
}

int
instance_attribute_is_true(PyObject *obj, PyObject *name)
{
    PyObject *value = instance_attribute(obj, name);
    if (value == NULL) {
        return -1;
    }
    int answer = PyObject_IsTrue(value);
    Py_DECREF(value);
    return answer;
}

int
remember_descriptors(kept_descriptors *kept, PyTypeObject *base, Py_ssize_t *offsets)
{
    for (int i = 0; i < kept->count; i++) {
        INTERN_OR_FAIL(kept->strings[i], kept->names[i]);
        PyObject *descr = _PyType_Lookup(base, kept->strings[i]);
        if (descr == NULL) {
            PyErr_Format(PyExc_TypeError, "%s has no %s", base->tp_name, kept->names[i]);
            return -1;
        }
        if (offsets != NULL && slot_offset(base, kept->names[i], &offsets[i]) < 0) {
            return -1;
        }
        Py_INCREF(descr);
        Py_XSETREF(kept->descrs[i], descr);
    }
    kept->known = NULL;
    return 0;
}

int
keeps_descriptors(kept_descriptors *kept, PyTypeObject *type)
{
    if (type == kept->known && kept->known_tag != 0
        && type->tp_version_tag == kept->known_tag) {
        return 1;
    }
    for (int i = 0; i < kept->count; i++) {
        if (kept->descrs[i] == NULL
            || _PyType_Lookup(type, kept->strings[i]) != kept->descrs[i]) {
            return 0;
        }
    }
    kept->known = type;
    kept->known_tag = type->tp_version_tag; /* assigned by the lookups */
    return 1;
}

int
is_c_method(PyTypeObject *type, PyObject *name, PyCFunction function)
{
    PyObject *descr = _PyType_Lookup(type, name);
    return descr != NULL && Py_IS_TYPE(descr, &PyMethodDescr_Type)
           && ((PyMethodDescrObject *)descr)->d_method->ml_meth == function;
}

int
str_differs(PyObject *value, PyObject *text)
{
    if (PyUnicode_CheckExact(value)) {
        return PyUnicode_Compare(value, text) != 0;
    }
    return PyObject_RichCompareBool(value, text, Py_NE);
}

/* The raised exception (normalised; the error indicator is cleared). */
PyObject *
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
void
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

/* Make ``exc`` the exception being handled (what sys.exc_info() gives and a
 * new exception is chained to), as an ``except`` or ``finally`` block running
 * for it does; returns the one it replaces (a new reference, or NULL) for
 * restore_handled_exception. */
PyObject *
handle_exception(PyObject *exc)
{
#if PY_VERSION_HEX >= 0x030C0000
    PyObject *previous = PyErr_GetHandledException();
    PyErr_SetHandledException(exc);
    return previous;
#else
    PyObject *type, *previous, *traceback;
    PyErr_GetExcInfo(&type, &previous, &traceback);
    Py_XDECREF(type);
    Py_XDECREF(traceback);
    PyErr_SetExcInfo(Py_NewRef((PyObject *)Py_TYPE(exc)), Py_NewRef(exc),
                     PyException_GetTraceback(exc));
    return previous;
#endif
}

/* Put back the exception handle_exception replaced (the reference is stolen). */
void
restore_handled_exception(PyObject *previous)
{
#if PY_VERSION_HEX >= 0x030C0000
    PyErr_SetHandledException(previous);
    Py_XDECREF(previous);
#else
    if (previous == NULL || previous == Py_None) {
        Py_XDECREF(previous);
        PyErr_SetExcInfo(NULL, NULL, NULL);
        return;
    }
    PyErr_SetExcInfo(Py_NewRef((PyObject *)Py_TYPE(previous)), previous,
                     PyException_GetTraceback(previous));
#endif
}

/* The Python method ``method`` called as method(self, *args). */
PyObject *
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


int
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

/* 0 when every class ``classes`` (an iterable) gives is a subclass of ``base``
 * that keeps object's __new__ and the base's descriptors under ``names``, so
 * that the base's slot offsets hold for its instances; else -1 with a
 * TypeError naming ``who`` (or the error met). */
int
classes_keep_slots(PyObject *classes, PyTypeObject *base, const char *const *names,
                   int count, const char *who)
{
    PyObject *iterator = PyObject_GetIter(classes);
    if (iterator == NULL) {
        return -1;
    }
    PyObject *cls;
    while ((cls = PyIter_Next(iterator)) != NULL) {
        int fine = PyType_Check(cls) && PyType_IsSubtype((PyTypeObject *)cls, base)
                   && ((PyTypeObject *)cls)->tp_new == PyBaseObject_Type.tp_new;
        for (int i = 0; fine && i < count; i++) {
            PyObject *own = PyObject_GetAttrString(cls, names[i]);
            PyObject *inherited = PyObject_GetAttrString((PyObject *)base, names[i]);
            fine = own != NULL && own == inherited;
            Py_XDECREF(own);
            Py_XDECREF(inherited);
        }
        Py_DECREF(cls);
        if (!fine) {
            Py_DECREF(iterator);
            if (!PyErr_Occurred()) {
                PyErr_Format(PyExc_TypeError, "%s: a class does not keep the base's slots",
                             who);
            }
            return -1;
        }
    }
    Py_DECREF(iterator);
    return PyErr_Occurred() ? -1 : 0;
}
