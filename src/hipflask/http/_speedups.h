/* What the files of hipflask.http._speedups share: one extension module
 * built from one C file per concern (see _speedups.c for the whole picture).
 *
 * Each file keeps its configuration in static variables; the functions
 * declared here are the ones another file calls or the module table lists.
 */
#ifndef HIPFLASK_SPEEDUPS_H
#define HIPFLASK_SPEEDUPS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h> /* T_OBJECT_EX: how __slots__ members are stored */

/* What the files share stays inside the shared library: only PyInit is
 * exported (PyMODINIT_FUNC marks it so). */
#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif

/* Intern ``text`` into ``var`` once (configure functions; return NULL on failure). */
#define INTERN(var, text)                                                      \
    if ((var) == NULL && ((var) = PyUnicode_InternFromString(text)) == NULL) { \
        return NULL;                                                           \
    }

/* A slot's value (borrowed; NULL when unset, without an error). */
static inline PyObject *
slot_get(PyObject *obj, Py_ssize_t offset)
{
    return *(PyObject **)((char *)obj + offset);
}

/* Set a slot to ``value`` (a new reference is taken), as its descriptor does. */
static inline void
slot_set(PyObject *obj, Py_ssize_t offset, PyObject *value)
{
    PyObject **address = (PyObject **)((char *)obj + offset);
    PyObject *old = *address;
    Py_INCREF(value);
    *address = value;
    Py_XDECREF(old);
}

/* _speedups_common.c: helpers of the other files. */
PyObject *new_instance(PyObject *module, PyObject *cls);
int attribute_is_true(PyObject *obj, PyObject *name);
/* obj.<name> for an attribute that lives in the instance dict (an
 * application's, a rule's, a signal's): read there when the class has no data
 * descriptor of that name, as PyObject_GetAttr would find it, without its
 * general path (which costs more than the interpreter's specialised lookup);
 * anything else is PyObject_GetAttr's. A new reference. */
PyObject *instance_attribute(PyObject *obj, PyObject *name);
/* The truth of instance_attribute(obj, name): 1, 0, or -1 with an exception. */
int instance_attribute_is_true(PyObject *obj, PyObject *name);
/* The attributes a base class has under some names, and whether a class
 * keeps them (no class on its way overrides one), remembered for the last
 * class asked at its version tag: a class changed since has another tag (or
 * none), and is asked again. */
typedef struct {
    int count;
    const char *const *names;
    PyObject **strings;     /* the names, interned */
    PyObject **descrs;      /* the base class's attributes */
    PyTypeObject *known;    /* the last class found to keep them */
    unsigned int known_tag; /* its version tag then */
} kept_descriptors;
/* Take the base's attributes (and, with ``offsets``, their slot offsets:
 * each must be a slot). 0, or -1 with an exception set. */
int remember_descriptors(kept_descriptors *kept, PyTypeObject *base,
                         Py_ssize_t *offsets);
/* Whether ``type`` keeps what remember_descriptors took (0 before it). */
int keeps_descriptors(kept_descriptors *kept, PyTypeObject *type);
/* INTERN for a function that returns an int. */
#define INTERN_OR_FAIL(var, text)                                              \
    if ((var) == NULL && ((var) = PyUnicode_InternFromString(text)) == NULL) { \
        return -1;                                                             \
    }

/* Whether ``type``'s attribute ``name`` is the method descriptor of the C
 * function ``function`` (one of this module's class hooks), which can then be
 * called directly rather than looked up and called as a method. */
int is_c_method(PyTypeObject *type, PyObject *name, PyCFunction function);
/* ``value != text`` for a str ``text``: 1, 0, or -1 with an exception set. */
int str_differs(PyObject *value, PyObject *text);
/* Whether a signal has receivers (its ``receivers`` is true): 1, 0, or -1.
 * Read at the slot of the class configure_signals gave. */
PyObject *configure_signals(PyObject *module, PyObject *cls);
int has_receivers(PyObject *signal);
PyObject *take_error(void);
void give_error(PyObject *error);
PyObject *handle_exception(PyObject *exc);
void restore_handled_exception(PyObject *previous);
PyObject *call_python_method(PyObject *method, PyObject *self,
                             PyObject *const *args, Py_ssize_t nargs,
                             PyObject *kwnames);
int slot_offset(PyTypeObject *type, const char *name, Py_ssize_t *offset);
int classes_keep_slots(PyObject *classes, PyTypeObject *base, const char *const *names,
                       int count, const char *who);

/* _speedups_urls.c: query strings and urlencoded bodies. */
PyObject *parse_query_lists(PyObject *module, PyObject *text);

/* _speedups_fields.c: scans of header field lists. */
PyObject *add_new_field(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject *scan_send_rules(PyObject *module, PyObject *fields);
PyObject *scan_asgi_fields(PyObject *module, PyObject *const *args,
                           Py_ssize_t nargs);
PyObject *encode_asgi_fields(PyObject *module, PyObject *fields);

/* _speedups_headers.c: Headers.__setitem__. */
PyObject *configure_headers(PyObject *module, PyObject *setitem);
PyObject *headers_setitem(PyObject *self, PyObject *const *args, Py_ssize_t nargs);

/* _speedups_response.c: Response._prepare, text_response, plain_response,
 * page_parts. */
PyObject *configure_response(PyObject *module, PyObject *const *args,
                             Py_ssize_t nargs);
PyObject *response_prepare(PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                           PyObject *kwnames);
PyObject *configure_text_response(PyObject *module, PyObject *const *args,
                                  Py_ssize_t nargs);
PyObject *text_response(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
                        PyObject *kwnames);
PyObject *plain_response(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject *configure_page_parts(PyObject *module, PyObject *const *args,
                               Py_ssize_t nargs);
PyObject *page_parts(PyObject *module, PyObject *error);

/* _speedups_request.c: Request.from_asgi and Request._from_environ. */
PyObject *configure_requests(PyObject *module, PyObject *const *args,
                             Py_ssize_t nargs);
PyObject *request_from_asgi(PyObject *module, PyObject *const *args,
                            Py_ssize_t nargs, PyObject *kwnames);
PyObject *request_from_environ(PyObject *module, PyObject *const *args,
                               Py_ssize_t nargs);
/* request.<name> for a field the request classes keep in a slot (at one of
 * the offsets below): read there for a class given to configure_requests,
 * else the attribute. A new reference. */
PyObject *request_field(PyObject *request, Py_ssize_t offset, PyObject *name);
extern Py_ssize_t rq_environ, rq_scope, rq_url_rule, rq_view_args,
    rq_routing_exception, rq_method, rq_cookie_sent, rq_path, rq_bad_host;
/* request.<name> = value, at the slot under the same conditions (and a class
 * that keeps object's __setattr__). 0, or -1 with an exception set. */
int request_set_field(PyObject *request, Py_ssize_t offset, PyObject *name,
                      PyObject *value);

/* _speedups_ctx.c: making, pushing and popping request contexts. */
PyObject *configure_contexts(PyObject *module, PyObject *const *args,
                             Py_ssize_t nargs);
PyObject *new_request_context(PyObject *module, PyObject *const *args,
                              Py_ssize_t nargs);
PyObject *ctx_push(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *ctx_pop(PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                  PyObject *kwnames);
/* The context classes and the default g class (NULL until configured), and
 * the slot offsets the proxies use. */
extern PyTypeObject *ctx_request_type, *ctx_app_type, *ctx_g_type;
extern Py_ssize_t rc_request, rc_exception, ac_app, ac_g, ac_g_values;

/* _speedups_wsgi.c: the WSGI adapter. */
PyObject *configure_wsgi(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject *serve_wsgi(PyObject *module, PyObject *const *args, Py_ssize_t nargs);

/* _speedups_call.c: Flask.__call__. */
PyObject *app_call(PyObject *module, PyObject *const *args, Py_ssize_t nargs);

/* _speedups_app.c: the application's direct pipeline. */
PyObject *configure_app(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject *handle_direct(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject *respond(PyObject *module, PyObject *const *args, Py_ssize_t nargs);

/* app.<name> for the attributes Flask keeps in slots (the APP_ fields): read
 * at the slot when the application's class keeps Flask's descriptors, else
 * the attribute (RuntimeError before configure_app). A new reference; app_field_is_true gives its truth. */
enum { APP_CHAINS, APP_OVERRIDDEN, APP_PLAIN_APP_CONTEXT, APP_PLAIN_OK,
       APP_CONFIG, APP_ERROR_HANDLER_SPEC, APP_SUBDOMAIN_MATCHING,
       APP_TEARDOWN_APPCONTEXT, APP_TEARDOWN_REQUEST, APP_URL_MAP,
       APP_VIEW_FUNCTIONS, APP_FIELDS };
PyObject *app_field(PyObject *app, int field);
int app_field_is_true(PyObject *app, int field);

/* _speedups_routing.c: the URL match and a routing error's answer. */
PyObject *configure_routing(PyObject *module, PyObject *const *args,
                            Py_ssize_t nargs);
PyObject *match_request(PyObject *app, PyObject *const *args, Py_ssize_t nargs);
PyObject *unraised_routing_error(PyObject *app, PyObject *const *args,
                                 Py_ssize_t nargs);

/* _speedups_proxies.c: the request, current_app, g and websocket proxies. */
PyObject *configure_proxies(PyObject *module, PyObject *const *args,
                            Py_ssize_t nargs);
PyObject *request_getattribute(PyObject *self, PyObject *const *args,
                               Py_ssize_t nargs);
PyObject *app_getattribute(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *websocket_getattribute(PyObject *self, PyObject *const *args,
                                 Py_ssize_t nargs);
PyObject *g_getattribute(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *g_setattr(PyObject *self, PyObject *const *args, Py_ssize_t nargs);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
