/* The application's direct pipeline: Flask._handle_direct and Flask._respond
 * (the twins are in hipflask/app.py; these are installed in their place).
 *
 * _handle_direct(ctx) answers the common request itself: an endpoint whose
 * chain is made and whose hooks and view are sync, no pipeline method
 * overridden, no url_value_preprocessor, no request_started receiver. Those
 * are checked before anything runs; any other request goes to the twin whole.
 * It then runs the before_request hooks and the view as the twin does (the
 * view is called directly under the twin's test, else app._direct_dispatch
 * answers: routing errors, automatic OPTIONS, a replaced view), and hands what
 * follows to the twin's own steps, called as methods:
 *
 *   - a hook or the view raised an Exception: app._direct_user_error(chain,
 *     e), while e is the exception being handled, as in the twin's ``except``
 *     block;
 *   - after_request hooks or after_this_request functions to run:
 *     app._direct_process(ctx, chain, rv);
 *   - otherwise _respond(ctx, chain, rv) (below), then app._direct_process
 *     when it has no answer;
 *   - one of those raised an Exception: app._direct_failed(ctx, chain, e), e
 *     being handled again.
 *
 * _respond(ctx, chain, rv) answers as the twin does when nothing can see the
 * response: no request_finished receiver, no session opened and no Cookie
 * header (so no session to refresh), make_response and the response class
 * Flask's own. A str, or a dict or list for the default JSON provider, is sent
 * as its parts (plain_response), an HTTP error as its standard page's
 * (page_parts, when it has that page); a Response is returned as it is. Anything
 * else is the twin's, and nothing was done before that call that it does not
 * do again.
 *
 * The URL match and the routing error's answer, _match_request and
 * _unraised_routing_error, are in _speedups_routing.c.
 *
 * PERF: attributes are read where they live: the slots of the chain, of the
 * request classes and of Flask at their offsets (while the class keeps the
 * base's descriptors: app_field), others in the instance dict
 * (instance_attribute). The general attribute lookup costs more than the
 * interpreter's specialised one, which would make C no faster than the twin.
 */
#include "_speedups.h"

static PyObject *app_python_handle_direct, *app_python_respond; /* the twins */
static PyObject *app_respond_descr; /* Flask._respond when it is respond */
static PyObject *app_response_class;       /* the default Response class */
static PyObject *app_json_response;        /* DefaultJSONProvider.response */
static PyObject *app_request_started, *app_request_finished; /* the signals */
static Py_ssize_t rc_after_functions, rc_opened_session;
static PyObject *app_chain_type; /* _Chain */

/* The _Chain fields and the request slots read here. */
enum { CHAIN_ALL_SYNC, CHAIN_PREPROCESSORS, CHAIN_BEFORE, CHAIN_DIRECT_VIEW,
       CHAIN_AFTER, CHAIN_FIELDS };
/* Flask's slots, in the order of the APP_ fields (_speedups.h). */
static const char *const app_names[APP_FIELDS] = {
    "_chains",
    "_overridden",
    "_plain_app_context",
    "_plain_ok",
    "config",
    "error_handler_spec",
    "subdomain_matching",
    "teardown_appcontext_funcs",
    "teardown_request_funcs",
    "url_map",
    "view_functions"};
static PyObject *app_http_exception, *app_page_parts; /* HTTPException, page_parts */
static PyObject *app_make_response, *str_make_response; /* Flask.make_response */
static PyObject *app_strings[APP_FIELDS], *app_descrs[APP_FIELDS];
static Py_ssize_t app_offsets[APP_FIELDS];
static kept_descriptors app_slots = {APP_FIELDS, app_names, app_strings, app_descrs,
                                     NULL, 0};

static const char *const chain_names[CHAIN_FIELDS] = {
    "all_sync", "preprocessors", "before", "direct_view", "after"};
static Py_ssize_t chain_offsets[CHAIN_FIELDS];
enum { REQUEST_URL_RULE, REQUEST_ROUTING_EXCEPTION, REQUEST_METHOD,
       REQUEST_VIEW_ARGS, REQUEST_SCOPE, REQUEST_ENVIRON, REQUEST_COOKIE_SENT,
       REQUEST_FIELDS };
static const char *const request_names[REQUEST_FIELDS] = {
    "url_rule", "routing_exception", "method", "view_args",
    "_scope",   "_environ",          "_cookie_sent"};
static Py_ssize_t *const request_offsets[REQUEST_FIELDS] = {
    &rq_url_rule, &rq_routing_exception, &rq_method, &rq_view_args,
    &rq_scope,    &rq_environ,           &rq_cookie_sent};
static PyObject *request_strings[REQUEST_FIELDS];
static PyObject *str_handle_direct, *str_endpoint, *str_options,
    *str_direct_user_error, *str_direct_process, *str_direct_failed, *str_respond,
    *str_http_cookie, *str_response_class, *str_default_mimetype, *str_set_length, *str_json,
    *str_response, *str_body, *str_mimetype, *str_direct_dispatch, *str_unraised,
    *str_routing_exception_name;

PyObject *
configure_app(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 12 || !PyFunction_Check(args[0]) || !PyType_Check(args[1])
        || !PyFunction_Check(args[2]) || !PyFunction_Check(args[5])
        || !PyType_Check(args[7]) || !PyType_Check(args[8])
        || !PyType_Check(args[9]) || !PyCallable_Check(args[10])
        || !PyFunction_Check(args[11])) {
        PyErr_SetString(PyExc_TypeError, "configure_app: unexpected arguments");
        return NULL;
    }
    if (ctx_request_type == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure_contexts was not called");
        return NULL;
    }
    if (slot_offset(ctx_request_type, "_after_request_functions", &rc_after_functions)
            < 0
        || slot_offset(ctx_request_type, "_opened_session", &rc_opened_session) < 0) {
        return NULL;
    }
    PyTypeObject *chain = (PyTypeObject *)args[7], *flask = (PyTypeObject *)args[8];
    if (remember_descriptors(&app_slots, flask, app_offsets) < 0) {
        return NULL;
    }
    for (int i = 0; i < CHAIN_FIELDS; i++) {
        if (slot_offset(chain, chain_names[i], &chain_offsets[i]) < 0) {
            return NULL;
        }
    }
    for (int i = 0; i < REQUEST_FIELDS; i++) {
        INTERN(request_strings[i], request_names[i]);
    }
    INTERN(str_handle_direct, "_handle_direct");
    INTERN(str_endpoint, "endpoint");
    INTERN(str_options, "OPTIONS");
    INTERN(str_direct_user_error, "_direct_user_error");
    INTERN(str_direct_process, "_direct_process");
    INTERN(str_direct_failed, "_direct_failed");
    INTERN(str_direct_dispatch, "_direct_dispatch");
    INTERN(str_unraised, "_unraised_routing_error");
    INTERN(str_respond, "_respond");
    INTERN(str_http_cookie, "HTTP_COOKIE");
    INTERN(str_response_class, "response_class");
    INTERN(str_default_mimetype, "default_mimetype");
    INTERN(str_set_length, "automatically_set_content_length");
    INTERN(str_json, "json");
    INTERN(str_response, "response");
    INTERN(str_body, "_body");
    INTERN(str_mimetype, "mimetype");
    INTERN(str_make_response, "make_response");
    INTERN(str_routing_exception_name, "routing_exception");
    PyObject **targets[11] = {&app_python_handle_direct, &app_response_class,
                              &app_json_response,      &app_request_started,
                              &app_request_finished,   &app_python_respond,
                              &app_respond_descr,      &app_chain_type,
                              &app_http_exception,     &app_page_parts,
                              &app_make_response};
    PyObject *given[11] = {args[0], args[1], args[2], args[3],  args[4], args[5],
                           args[6], args[7], args[9], args[10], args[11]};
    for (int i = 0; i < 11; i++) {
        Py_INCREF(given[i]);
        Py_XSETREF(*targets[i], given[i]);
    }
    Py_RETURN_NONE;
}

PyObject *
app_field(PyObject *app, int field)
{
    PyObject *name = app_strings[field];
    if (name == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure_app was not called");
        return NULL;
    }
    if (keeps_descriptors(&app_slots, Py_TYPE(app))) {
        PyObject *value = slot_get(app, app_offsets[field]);
        if (value != NULL) {
            return Py_NewRef(value);
        }
    }
    return PyObject_GetAttr(app, name);
}

/* The truth of app_field (1, 0, or -1 with an exception set). */
int
app_field_is_true(PyObject *app, int field)
{
    PyObject *value = app_field(app, field);
    if (value == NULL) {
        return -1;
    }
    int answer = PyObject_IsTrue(value);
    Py_DECREF(value);
    return answer;
}

/* A _Chain's field (borrowed; the chain is exactly _Chain, its fields set). */
static inline PyObject *
chain_field(PyObject *chain, int field)
{
    return slot_get(chain, chain_offsets[field]);
}

/* request.<field> (a new reference, or NULL with an exception set). */
static PyObject *
request_slot(PyObject *request, int field)
{
    return request_field(request, *request_offsets[field], request_strings[field]);
}

/* A class attribute of the default Response class (a new reference). */
static PyObject *
response_setting(PyObject *name)
{
    PyObject *value = _PyType_Lookup((PyTypeObject *)app_response_class, name);
    if (value != NULL && Py_TYPE(value)->tp_descr_get == NULL) {
        return Py_NewRef(value);
    }
    return PyObject_GetAttr(app_response_class, name);
}

/* app.<name>(*args): a method of the application, looked up as Python does. */
static PyObject *
call_app(PyObject *app, PyObject *name, PyObject *a, PyObject *b, PyObject *c)
{
    PyObject *call[4] = {app, a, b, c};
    size_t count = c != NULL ? 4 : (b != NULL ? 3 : 2);
    return PyObject_VectorcallMethod(name, call, count | PY_VECTORCALL_ARGUMENTS_OFFSET,
                                     NULL);
}

/* The Cookie header's presence as the twin reads it: 1 (or when the request
 * is of no kind respond reads itself: the twin decides), 0, or -1. */
static int
may_carry_session(PyObject *request)
{
    PyObject *scope = request_slot(request, REQUEST_SCOPE);
    if (scope == NULL) {
        return -1;
    }
    int answer;
    if (scope != Py_None) {
        PyObject *sent = request_slot(request, REQUEST_COOKIE_SENT);
        answer = sent == NULL ? -1 : PyObject_IsTrue(sent);
        Py_XDECREF(sent);
    }
    else {
        PyObject *environ = request_slot(request, REQUEST_ENVIRON);
        if (environ == NULL) {
            answer = -1;
        }
        else if (!PyDict_CheckExact(environ)) {
            answer = 1;
        }
        else {
            PyObject *cookie = PyDict_GetItemWithError(environ, str_http_cookie);
            answer = cookie != NULL ? PyObject_IsTrue(cookie)
                                    : (PyErr_Occurred() ? -1 : 0);
        }
        Py_XDECREF(environ);
    }
    Py_DECREF(scope);
    return answer;
}

/* The parts plain_response gives for the JSON of ``rv`` (a dict or list), or
 * NULL; *done is 0 when app.json is not the default provider (the twin
 * decides). */
static PyObject *
json_parts(PyObject *app, PyObject *rv, int *done)
{
    PyObject *provider = instance_attribute(app, str_json);
    if (provider == NULL) {
        return NULL;
    }
    PyObject *parts = NULL;
    if (_PyType_Lookup(Py_TYPE(provider), str_response) != app_json_response) {
        *done = 0;
    }
    else {
        PyObject *body = PyObject_CallMethodOneArg(provider, str_body, rv);
        PyObject *mimetype =
            body == NULL ? NULL : PyObject_GetAttr(provider, str_mimetype);
        if (mimetype != NULL) {
            PyObject *call[2] = {body, mimetype};
            parts = plain_response(NULL, call, 2);
            Py_DECREF(mimetype);
        }
        Py_XDECREF(body);
    }
    Py_DECREF(provider);
    return parts;
}

/* respond's own answer for ``rv``, or NULL: with an exception set, or, when
 * *done is 0, because the twin decides. */
static PyObject *
plain_answer(PyObject *app, PyObject *ctx, PyObject *rv, int *done)
{
    *done = 0;
    PyObject *request = slot_get(ctx, rc_request);
    if (request == NULL || slot_get(ctx, rc_opened_session) != Py_None) {
        return NULL;
    }
    int busy = has_receivers(app_request_finished);
    if (busy == 0) {
        busy = may_carry_session(request);
    }
    if (busy == 0) {
        int plain = app_field_is_true(app, APP_PLAIN_OK);
        busy = plain < 0 ? -1 : !plain;
    }
    if (busy == 0) {
        PyObject *response_class = instance_attribute(app, str_response_class);
        busy = response_class == NULL ? -1 : response_class != app_response_class;
        Py_XDECREF(response_class);
    }
    if (busy != 0) {
        *done = busy < 0;
        return NULL;
    }
    PyTypeObject *type = Py_TYPE(rv);
    if (type == (PyTypeObject *)app_response_class) {
        *done = 1;
        return Py_NewRef(rv);
    }
    if (type == &PyUnicode_Type) {
        PyObject *mimetype = response_setting(str_default_mimetype);
        if (mimetype == NULL) {
            *done = 1;
            return NULL;
        }
        PyObject *parts = NULL;
        int length = 0;
        if (mimetype != Py_None) {
            PyObject *setting = response_setting(str_set_length);
            length = setting == NULL ? -1 : PyObject_IsTrue(setting);
            Py_XDECREF(setting);
        }
        if (length > 0) {
            PyObject *call[2] = {rv, mimetype};
            parts = plain_response(NULL, call, 2);
        }
        *done = length != 0;
        Py_DECREF(mimetype);
        return parts;
    }
    if (type == &PyDict_Type || type == &PyList_Type) {
        *done = 1;
        return json_parts(app, rv, done);
    }
    if (PyObject_TypeCheck(rv, (PyTypeObject *)app_http_exception)) {
        /* As the twin asks on this path: make_response not replaced since the
         * first request, on the class or the instance. */
        int own = _PyType_Lookup(Py_TYPE(app), str_make_response) != app_make_response;
        PyObject **fields = own ? NULL : _PyObject_GetDictPtr(app);
        if (fields != NULL && *fields != NULL) {
            own = PyDict_Contains(*fields, str_make_response);
        }
        if (own != 0) {
            *done = own < 0;
            return NULL;
        }
        /* An HTTP error without a handler: its standard page, as parts. */
        PyObject *parts = PyObject_CallOneArg(app_page_parts, rv);
        if (parts != Py_None) {
            *done = 1;
            return parts;
        }
        Py_DECREF(parts);
    }
    return NULL;
}

PyObject *
respond(PyObject *app, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || app_python_respond == NULL) {
        PyErr_SetString(PyExc_TypeError,
                        "_respond(ctx, chain, rv), once configure_app was called");
        return NULL;
    }
    PyObject *ctx = args[0], *rv = args[2];
    if (Py_IS_TYPE(ctx, ctx_request_type)) {
        int done;
        PyObject *answer = plain_answer(app, ctx, rv, &done);
        if (answer != NULL || done) {
            return answer;
        }
    }
    return call_python_method(app_python_respond, app, args, 3, NULL);
}

/* Whether the twin's direct steps apply: 1 (with *chain_out and *endpoint_out
 * set to new references), 0 (the twin takes the request), -1. */
static int
direct_case(PyObject *app, PyObject *request, PyObject **chain_out,
            PyObject **endpoint_out)
{
    PyObject *rule = request_slot(request, REQUEST_URL_RULE);
    if (rule == NULL) {
        return -1;
    }
    PyObject *endpoint =
        rule == Py_None ? Py_NewRef(Py_None) : instance_attribute(rule, str_endpoint);
    Py_DECREF(rule);
    if (endpoint == NULL) {
        return -1;
    }
    int answer = -1, check;
    PyObject *chain = NULL;
    PyObject *chains = app_field(app, APP_CHAINS);
    if (chains == NULL) {
        goto done;
    }
    if (!PyDict_CheckExact(chains)) {
        answer = 0;
        goto done;
    }
    chain = PyDict_GetItemWithError(chains, endpoint);
    if (chain == NULL) {
        answer = PyErr_Occurred() ? -1 : 0; /* the twin makes the chain */
        goto done;
    }
    Py_INCREF(chain);
    /* A test that must give 0 (false) for the direct steps. */
#define REQUIRE_FALSE(test)                                                    \
    check = (test);                                                            \
    if (check != 0) {                                                          \
        answer = check < 0 ? -1 : 0;                                           \
        goto done;                                                             \
    }
    REQUIRE_FALSE(!Py_IS_TYPE(chain, (PyTypeObject *)app_chain_type));
    for (int i = 0; i < CHAIN_FIELDS; i++) {
        REQUIRE_FALSE(chain_field(chain, i) == NULL);
    }
    REQUIRE_FALSE(app_field_is_true(app, APP_OVERRIDDEN));
    check = PyObject_IsTrue(chain_field(chain, CHAIN_ALL_SYNC));
    REQUIRE_FALSE(check < 0 ? -1 : !check);
    REQUIRE_FALSE(has_receivers(app_request_started));
    REQUIRE_FALSE(PyObject_IsTrue(chain_field(chain, CHAIN_PREPROCESSORS)));
#undef REQUIRE_FALSE
    answer = 1;
    *chain_out = Py_NewRef(chain);
    *endpoint_out = Py_NewRef(endpoint);
done:
    Py_XDECREF(chain);
    Py_XDECREF(chains);
    Py_DECREF(endpoint);
    return answer;
}

/* The view called directly (the twin's test and call): a new reference, NULL
 * with an exception set, or NULL without one when the twin's test fails. */
static PyObject *
direct_view(PyObject *app, PyObject *request, PyObject *chain, PyObject *endpoint)
{
    PyObject *view = chain_field(chain, CHAIN_DIRECT_VIEW);
    if (view == Py_None) {
        return NULL;
    }
    Py_INCREF(view);
    PyObject *rv = NULL, *value = request_slot(request, REQUEST_ROUTING_EXCEPTION);
    int direct = value == NULL ? -1 : value == Py_None;
    Py_XDECREF(value);
    if (direct > 0) {
        value = request_slot(request, REQUEST_METHOD);
        direct = value == NULL ? -1 : str_differs(value, str_options);
        Py_XDECREF(value);
    }
    if (direct > 0) {
        PyObject *functions = app_field(app, APP_VIEW_FUNCTIONS);
        value = functions == NULL ? NULL : PyObject_GetItem(functions, endpoint);
        direct = value == NULL ? -1 : value == view;
        Py_XDECREF(value);
        Py_XDECREF(functions);
    }
    PyObject *view_args =
        direct > 0 ? request_slot(request, REQUEST_VIEW_ARGS) : NULL;
    int has_args = view_args == NULL ? -1 : PyObject_IsTrue(view_args);
    if (has_args == 0) {
        rv = PyObject_CallNoArgs(view);
    }
    else if (has_args > 0) {
        /* view(**view_args): the arguments as a dict of their own. */
        PyObject *keywords = PyDict_New();
        if (keywords != NULL && PyDict_Update(keywords, view_args) == 0) {
            PyObject *no_args = PyTuple_New(0);
            rv = no_args == NULL ? NULL : PyObject_Call(view, no_args, keywords);
            Py_XDECREF(no_args);
        }
        Py_XDECREF(keywords);
    }
    Py_XDECREF(view_args);
    Py_DECREF(view);
    return rv;
}

/* The before_request hooks, then (when none answered) the view: the twin's
 * ``rv``, or NULL with the exception they raised. */
static PyObject *
hooks_and_view(PyObject *app, PyObject *request, PyObject *chain, PyObject *endpoint)
{
    /* The chain's list as a for loop walks it (its length read at every
     * step); another iterable as a list of its items. */
    PyObject *before = PySequence_Fast(chain_field(chain, CHAIN_BEFORE),
                                       "the before_request hooks");
    if (before == NULL) {
        return NULL;
    }
    PyObject *rv = NULL;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(before); i++) {
        PyObject *func = Py_NewRef(PySequence_Fast_GET_ITEM(before, i));
        rv = PyObject_CallNoArgs(func);
        Py_DECREF(func);
        if (rv == NULL || rv != Py_None) {
            break;
        }
        Py_CLEAR(rv);
    }
    Py_DECREF(before);
    if (rv != NULL || PyErr_Occurred()) {
        return rv;
    }
    rv = direct_view(app, request, chain, endpoint);
    if (rv != NULL || PyErr_Occurred()) {
        return rv;
    }
    /* _direct_dispatch's first step for a routing error, when the class keeps
     * this module's _unraised_routing_error: its answer, or (None) the rest
     * of _direct_dispatch, told the step was taken. */
    PyObject *error = request_field(request, rq_routing_exception,
                                    str_routing_exception_name);
    if (error == NULL) {
        return NULL;
    }
    if (error != Py_None
        && is_c_method(Py_TYPE(app), str_unraised,
                       (PyCFunction)(void (*)(void))unraised_routing_error)) {
        PyObject *pair[2] = {request, error};
        rv = unraised_routing_error(app, pair, 2);
        Py_DECREF(error);
        if (rv != Py_None) {
            return rv;
        }
        Py_DECREF(rv);
        PyObject *call[3] = {app, request, Py_True};
        return PyObject_VectorcallMethod(str_direct_dispatch, call,
                                         3 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
    }
    Py_DECREF(error);
    PyObject *call[2] = {app, request};
    return PyObject_VectorcallMethod(str_direct_dispatch, call,
                                     2 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
}

/* app.<step>(..., e) called while ``e``, the raised Exception, is handled;
 * NULL without a call when what is raised is not an Exception. */
static PyObject *
call_while_handling(PyObject *app, PyObject *step, PyObject *a, PyObject *b)
{
    if (!PyErr_ExceptionMatches(PyExc_Exception)) {
        return NULL;
    }
    PyObject *error = take_error();
    PyObject *outer = handle_exception(error);
    PyObject *result = b == NULL ? call_app(app, step, a, error, NULL)
                                 : call_app(app, step, a, b, error);
    restore_handled_exception(outer);
    Py_DECREF(error);
    return result;
}

/* From the twin's ``rv`` on: the after-request steps, or respond. */
static PyObject *
answered(PyObject *app, PyObject *ctx, PyObject *chain, PyObject *rv)
{
    int after = PyObject_IsTrue(chain_field(chain, CHAIN_AFTER));
    if (after == 0) {
        PyObject *functions = slot_get(ctx, rc_after_functions);
        after = functions == NULL ? 0 : PyObject_IsTrue(functions);
    }
    if (after < 0) {
        return NULL;
    }
    if (after) {
        return call_app(app, str_direct_process, ctx, chain, rv);
    }
    PyObject *response;
    if (_PyType_Lookup(Py_TYPE(app), str_respond) == app_respond_descr) {
        PyObject *call[3] = {ctx, chain, rv};
        response = respond(app, call, 3);
    }
    else {
        response = call_app(app, str_respond, ctx, chain, rv);
    }
    if (response != Py_None) {
        return response;
    }
    Py_DECREF(response);
    return call_app(app, str_direct_process, ctx, chain, rv);
}

PyObject *
handle_direct(PyObject *app, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 1 || app_python_handle_direct == NULL) {
        PyErr_SetString(PyExc_TypeError,
                        "_handle_direct(ctx), once configure_app was called");
        return NULL;
    }
    PyObject *ctx = args[0];
    PyObject *request = Py_IS_TYPE(ctx, ctx_request_type) ? slot_get(ctx, rc_request)
                                                          : NULL;
    PyObject *chain = NULL, *endpoint = NULL;
    int direct = request == NULL ? 0 : direct_case(app, request, &chain, &endpoint);
    if (direct <= 0) {
        return direct < 0 ? NULL
                          : call_python_method(app_python_handle_direct, app, args, 1,
                                               NULL);
    }
    PyObject *response = NULL;
    PyObject *rv = hooks_and_view(app, request, chain, endpoint);
    if (rv == NULL) {
        rv = call_while_handling(app, str_direct_user_error, chain, NULL);
    }
    if (rv != NULL) {
        response = answered(app, ctx, chain, rv);
        Py_DECREF(rv);
    }
    if (response == NULL && PyErr_Occurred()) {
        response = call_while_handling(app, str_direct_failed, ctx, chain);
    }
    Py_DECREF(chain);
    Py_DECREF(endpoint);
    return response;
}
