/* The URL match and a routing error's answer: Flask._match_request and
 * Flask._unraised_routing_error (the twins are in hipflask/app.py; these are
 * installed in their place).
 *
 * _match_request(request) matches as the twin does when its static lookup
 * applies (a WSGI environ whose Host is absent or printable ASCII, or an ASGI
 * request without a bad Host; no TRUSTED_HOSTS; a compiled map without host or
 * subdomain matching): the static table's rule, else url_map._match_unlisted
 * (called as a method), its answer or the Exception it raised stored as the
 * twin stores them. Anything else is the twin's, before anything is stored.
 *
 * _unraised_routing_error(request, exc) gives the twin's answer for the plain
 * 404 or 405 that nothing would see raised (Flask's error steps on the class
 * and not replaced on the instance, no error handler registered, not
 * trapped): the error itself. A redirect, a registered handler (which the
 * twin looks for) and a config of another kind go to the twin.
 *
 * The map's fields are read at their slots while the map's class keeps Map's
 * descriptors, as the application's are (app_field, _speedups_app.c).
 */
#include "_speedups.h"

static PyObject *routing_python_match, *routing_python_unraised; /* the twins */
/* Flask's error steps (the methods that could see a routing error raised)
 * and the exception classes _unraised_routing_error tests. */
enum { ERROR_STEPS = 4 };
static const char *const error_step_texts[ERROR_STEPS] = {
    "raise_routing_exception", "handle_user_exception", "handle_http_exception",
    "trap_http_exception"};
static PyObject *error_step_names[ERROR_STEPS], *error_steps[ERROR_STEPS];
enum { HTTP_EXCEPTION, BAD_REQUEST_KEY_ERROR, REQUEST_REDIRECT, BAD_REQUEST,
       ERROR_CLASSES };
static PyTypeObject *error_classes[ERROR_CLASSES];
/* The Map fields read here (slots of the Map class). */
enum { MAP_DIRTY, MAP_STATIC_HTTP, MAP_DEFAULT_SUBDOMAIN, MAP_HOST_MATCHING,
       MAP_FIELDS };
static const char *const map_names[MAP_FIELDS] = {
    "_dirty", "_static_http", "default_subdomain", "host_matching"};
static PyObject *map_strings[MAP_FIELDS], *map_descrs[MAP_FIELDS];
static Py_ssize_t map_offsets[MAP_FIELDS];
static kept_descriptors map_slots = {MAP_FIELDS, map_names, map_strings, map_descrs,
                                     NULL, 0};
static PyObject *str_trap_http, *str_trap_bad_request, *str_code_name,
    *str_http_host, *str_trusted_hosts, *str_defaults, *str_scope_name, *str_bad_host,
    *str_environ_name, *str_path_name, *str_method_name, *str_url_rule_name,
    *str_view_args_name, *str_getitem, *str_match_unlisted,
    *str_routing_exception_name;

PyObject *
configure_routing(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 5 || !PyFunction_Check(args[0]) || !PyType_Check(args[1])
        || !PyTuple_CheckExact(args[2]) || PyTuple_GET_SIZE(args[2]) != ERROR_STEPS
        || !PyTuple_CheckExact(args[3]) || PyTuple_GET_SIZE(args[3]) != ERROR_CLASSES
        || !PyFunction_Check(args[4])) {
        PyErr_SetString(PyExc_TypeError, "configure_routing: unexpected arguments");
        return NULL;
    }
    PyTypeObject *map = (PyTypeObject *)args[1];
    if (remember_descriptors(&map_slots, map, map_offsets) < 0) {
        return NULL;
    }
    for (int i = 0; i < ERROR_STEPS; i++) {
        INTERN(error_step_names[i], error_step_texts[i]);
        PyObject *step = PyTuple_GET_ITEM(args[2], i);
        Py_INCREF(step);
        Py_XSETREF(error_steps[i], step);
    }
    for (int i = 0; i < ERROR_CLASSES; i++) {
        PyObject *cls = PyTuple_GET_ITEM(args[3], i);
        if (!PyType_Check(cls)) {
            PyErr_SetString(PyExc_TypeError, "configure_routing: the error classes");
            return NULL;
        }
        Py_INCREF(cls);
        Py_XSETREF(error_classes[i], (PyTypeObject *)cls);
    }
    INTERN(str_trap_http, "TRAP_HTTP_EXCEPTIONS");
    INTERN(str_trap_bad_request, "TRAP_BAD_REQUEST_ERRORS");
    INTERN(str_code_name, "code");
    INTERN(str_http_host, "HTTP_HOST");
    INTERN(str_trusted_hosts, "TRUSTED_HOSTS");
    INTERN(str_defaults, "defaults");
    INTERN(str_scope_name, "_scope");
    INTERN(str_bad_host, "_bad_host");
    INTERN(str_environ_name, "_environ");
    INTERN(str_path_name, "path");
    INTERN(str_method_name, "method");
    INTERN(str_url_rule_name, "url_rule");
    INTERN(str_view_args_name, "view_args");
    INTERN(str_getitem, "__getitem__");
    INTERN(str_match_unlisted, "_match_unlisted");
    INTERN(str_routing_exception_name, "routing_exception");
    Py_INCREF(args[0]);
    Py_XSETREF(routing_python_match, args[0]);
    Py_INCREF(args[4]);
    Py_XSETREF(routing_python_unraised, args[4]);
    Py_RETURN_NONE;
}

/* url_map.<field>: at its slot, else the attribute. A new reference. */
static PyObject *
map_field(PyObject *url_map, int field)
{
    if (keeps_descriptors(&map_slots, Py_TYPE(url_map))) {
        PyObject *value = slot_get(url_map, map_offsets[field]);
        if (value != NULL) {
            return Py_NewRef(value);
        }
    }
    return PyObject_GetAttr(url_map, map_strings[field]);
}

/* Whether ``host`` is printable as str.isprintable() says, for ASCII text: 1,
 * 0, or -1 when it is not ASCII text (the twin asks). */
static int
ascii_printable(PyObject *host)
{
    if (!PyUnicode_CheckExact(host) || !PyUnicode_IS_ASCII(host)) {
        return -1;
    }
    const Py_UCS1 *text = PyUnicode_1BYTE_DATA(host);
    Py_ssize_t size = PyUnicode_GET_LENGTH(host);
    for (Py_ssize_t i = 0; i < size; i++) {
        if (text[i] < 0x20 || text[i] > 0x7e) {
            return 0;
        }
    }
    return 1;
}

/* The twin's tests before its static lookup: 1 when they pass the way the
 * lookup needs (a WSGI environ whose Host is printable ASCII or absent, or an
 * ASGI scope without a bad Host; no TRUSTED_HOSTS; a compiled map without
 * host or subdomain matching), 0 when the twin decides, -1. *url_map_out is
 * set (a new reference) on 1. */
static int
static_match_case(PyObject *app, PyObject *request, PyObject **url_map_out)
{
    PyObject *scope = request_field(request, rq_scope, str_scope_name);
    if (scope == NULL) {
        return -1;
    }
    int answer = 0;
    if (scope != Py_None) {
        PyObject *bad = request_field(request, rq_bad_host, str_bad_host);
        answer = bad == NULL ? -1 : bad == Py_False;
        Py_XDECREF(bad);
    }
    else {
        PyObject *environ = request_field(request, rq_environ, str_environ_name);
        if (environ == NULL) {
            answer = -1;
        }
        else if (PyDict_CheckExact(environ)) {
            PyObject *host = PyDict_GetItemWithError(environ, str_http_host);
            if (host == NULL) {
                answer = PyErr_Occurred() ? -1 : 1;
            }
            else {
                answer = ascii_printable(host) > 0; /* else the twin decides */
            }
        }
        Py_XDECREF(environ);
    }
    Py_DECREF(scope);
    if (answer <= 0) {
        return answer;
    }
    PyObject *config = app_field(app, APP_CONFIG);
    if (config == NULL) {
        return -1;
    }
    PyObject *trusted = NULL;
    /* config[...] is dict's own lookup unless the class has a __getitem__ of
     * its own (a key it lacks goes to the twin: __missing__, KeyError). */
    if (PyDict_Check(config)
        && _PyType_Lookup(Py_TYPE(config), str_getitem)
               == _PyType_Lookup(&PyDict_Type, str_getitem)) {
        trusted = PyDict_GetItemWithError(config, str_trusted_hosts); /* borrowed */
        answer = trusted == NULL ? (PyErr_Occurred() ? -1 : 0) : trusted == Py_None;
    }
    else {
        answer = 0;
    }
    Py_DECREF(config);
    if (answer <= 0) {
        return answer;
    }
    PyObject *url_map = app_field(app, APP_URL_MAP);
    if (url_map == NULL) {
        return -1;
    }
    int check = 0;
    const int flags[3] = {MAP_DIRTY, MAP_HOST_MATCHING, -1};
    for (int i = 0; i < 3 && check == 0; i++) {
        PyObject *value = flags[i] >= 0 ? map_field(url_map, flags[i])
                                        : app_field(app, APP_SUBDOMAIN_MATCHING);
        check = value == NULL ? -1 : PyObject_IsTrue(value);
        Py_XDECREF(value);
    }
    if (check != 0) {
        Py_DECREF(url_map);
        return check < 0 ? -1 : 0;
    }
    *url_map_out = url_map;
    return 1;
}

/* The twin's match once static_match_case passed: the static table's rule
 * for the default host, else Map._match_unlisted's answer (the rule and its
 * arguments, or None and the routing error), stored on the request as the twin
 * stores them. 0 done, 1 when the twin decides (nothing stored), -1. */
static int
matched(PyObject *url_map, PyObject *request)
{
    PyObject *table = map_field(url_map, MAP_STATIC_HTTP);
    PyObject *host = table == NULL ? NULL : map_field(url_map, MAP_DEFAULT_SUBDOMAIN);
    PyObject *path = host == NULL ? NULL : request_field(request, rq_path, str_path_name);
    PyObject *method =
        path == NULL ? NULL : request_field(request, rq_method, str_method_name);
    PyObject *rule = NULL, *view_args = NULL, *result = NULL;
    int answer = -1;
    if (method == NULL) {
        goto done;
    }
    answer = 1;
    if (!PyDict_CheckExact(table) || !PyUnicode_CheckExact(host)
        || !PyUnicode_CheckExact(path) || !PyUnicode_CheckExact(method)) {
        goto done;
    }
    PyObject *paths = PyDict_GetItemWithError(table, host);
    PyObject *methods =
        paths != NULL && PyDict_CheckExact(paths) ? PyDict_GetItemWithError(paths, path)
                                                  : NULL;
    rule = methods != NULL && PyDict_CheckExact(methods)
               ? PyDict_GetItemWithError(methods, method)
               : NULL;
    if (PyErr_Occurred()) {
        answer = -1;
        goto done;
    }
    if (rule != NULL) {
        /* request.url_rule = rule, then
         * request.view_args = dict(rule.defaults) if rule.defaults else {} */
        Py_INCREF(rule);
        answer = -1;
        if (request_set_field(request, rq_url_rule, str_url_rule_name, rule) < 0) {
            goto done;
        }
        PyObject *defaults = instance_attribute(rule, str_defaults);
        int some = defaults == NULL ? -1 : PyObject_IsTrue(defaults);
        view_args = some < 0 ? NULL
                    : some   ? PyObject_CallOneArg((PyObject *)&PyDict_Type, defaults)
                             : PyDict_New();
        Py_XDECREF(defaults);
        if (view_args != NULL
            && request_set_field(request, rq_view_args, str_view_args_name, view_args)
                   == 0) {
            answer = 0;
        }
        goto done;
    }
    /* url_map._match_unlisted(path, method, host, False); an Exception it
     * raises is the routing error. */
    PyObject *call[5] = {url_map, path, method, host, Py_False};
    result = PyObject_VectorcallMethod(str_match_unlisted, call, 5, NULL);
    answer = -1;
    if (result == NULL) {
        if (PyErr_ExceptionMatches(PyExc_Exception)) {
            PyObject *error = take_error();
            answer = request_set_field(request, rq_routing_exception,
                                       str_routing_exception_name, error);
            Py_DECREF(error);
        }
        goto done;
    }
    if (!PyTuple_CheckExact(result) || PyTuple_GET_SIZE(result) != 2) {
        PyErr_SetString(PyExc_TypeError, "Map._match_unlisted gives a pair");
        goto done;
    }
    PyObject *found = PyTuple_GET_ITEM(result, 0), *second = PyTuple_GET_ITEM(result, 1);
    if (request_set_field(request, rq_url_rule, str_url_rule_name, found) < 0
        || request_set_field(request, rq_view_args, str_view_args_name, second) < 0) {
        goto done;
    }
    if (found == Py_None
        && (request_set_field(request, rq_routing_exception,
                              str_routing_exception_name, second)
                < 0
            || request_set_field(request, rq_view_args, str_view_args_name, Py_None)
                   < 0)) {
        goto done;
    }
    answer = 0;
done:
    Py_XDECREF(result);
    Py_XDECREF(view_args);
    Py_XDECREF(rule);
    Py_XDECREF(method);
    Py_XDECREF(path);
    Py_XDECREF(host);
    Py_XDECREF(table);
    return answer;
}

PyObject *
match_request(PyObject *app, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 1 || routing_python_match == NULL) {
        PyErr_SetString(PyExc_TypeError,
                        "_match_request(request), once configure_routing was called");
        return NULL;
    }
    PyObject *request = args[0], *url_map = NULL;
    int common = static_match_case(app, request, &url_map);
    int answer = common > 0 ? matched(url_map, request) : (common < 0 ? -1 : 1);
    Py_XDECREF(url_map);
    if (answer > 0) {
        return call_python_method(routing_python_match, app, args, 1, NULL);
    }
    if (answer < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

/* A config value as config[key] gives it when the config is a dict with
 * dict's own lookup (borrowed), else NULL: with an exception set, or without
 * one when the twin decides. */
static PyObject *
config_value(PyObject *config, PyObject *key)
{
    if (!PyDict_Check(config)
        || _PyType_Lookup(Py_TYPE(config), str_getitem)
               != _PyType_Lookup(&PyDict_Type, str_getitem)) {
        return NULL;
    }
    return PyDict_GetItemWithError(config, key);
}

/* The twin's answer in the common case: 1 (``exc`` is the answer), 0 (None:
 * raise it), 2 (the twin decides), -1. */
static int
unraised_case(PyObject *app, PyObject *request, PyObject *exc)
{
    PyObject *rule = request_field(request, rq_url_rule, str_url_rule_name);
    if (rule == NULL) {
        return -1;
    }
    int none = rule != Py_None;
    Py_DECREF(rule);
    if (none || !PyObject_TypeCheck(exc, error_classes[HTTP_EXCEPTION])
        || PyObject_TypeCheck(exc, error_classes[BAD_REQUEST_KEY_ERROR])) {
        return 0;
    }
    /* Flask's own steps, on the class and not replaced on the instance. */
    PyObject **fields = _PyObject_GetDictPtr(app);
    for (int i = 0; i < ERROR_STEPS; i++) {
        if (_PyType_Lookup(Py_TYPE(app), error_step_names[i]) != error_steps[i]) {
            return 0;
        }
        int own = fields != NULL && *fields != NULL
                      ? PyDict_Contains(*fields, error_step_names[i])
                      : 0;
        if (own != 0) {
            return own < 0 ? -1 : 0;
        }
    }
    if (PyObject_TypeCheck(exc, error_classes[REQUEST_REDIRECT])) {
        return 2;
    }
    PyObject *code = instance_attribute(exc, str_code_name);
    if (code == NULL) {
        return -1;
    }
    int coded = code != Py_None;
    Py_DECREF(code);
    if (coded) {
        int handlers = app_field_is_true(app, APP_ERROR_HANDLER_SPEC);
        if (handlers != 0) {
            return handlers < 0 ? -1 : 2; /* the twin looks for one */
        }
    }
    PyObject *config = app_field(app, APP_CONFIG);
    if (config == NULL) {
        return -1;
    }
    int answer = 2;
    PyObject *trap = config_value(config, str_trap_http);
    int trapped = trap == NULL ? -2 : PyObject_IsTrue(trap);
    if (trapped == 0) {
        PyObject *bad = config_value(config, str_trap_bad_request);
        trapped = bad == NULL ? -2 : PyObject_IsTrue(bad);
        if (trapped > 0) {
            trapped = PyObject_TypeCheck(exc, error_classes[BAD_REQUEST]);
        }
    }
    if (trapped == -2) {
        answer = PyErr_Occurred() ? -1 : 2;
    }
    else {
        answer = trapped < 0 ? -1 : !trapped;
    }
    Py_DECREF(config);
    return answer;
}

PyObject *
unraised_routing_error(PyObject *app, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || routing_python_unraised == NULL) {
        PyErr_SetString(PyExc_TypeError, "_unraised_routing_error(request, exc), "
                                         "once configure_routing was called");
        return NULL;
    }
    switch (unraised_case(app, args[0], args[1])) {
    case 1:
        return Py_NewRef(args[1]);
    case 0:
        Py_RETURN_NONE;
    case 2:
        return call_python_method(routing_python_unraised, app, args, 2, NULL);
    default:
        return NULL;
    }
}
