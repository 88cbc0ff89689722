/* hipflask.http._speedups: optional C versions of hot steps of hipflask's
 * request path (loops over request data in hipflask.http, object creation,
 * Headers and Response methods, request contexts, the context proxies of
 * hipflask.globals); see _speedups.pyi for what each function takes.
 *
 * Each function here has a pure-Python twin that stays the reference: the
 * Python module imports the C one when it was built and falls back to its own
 * otherwise. The tests compare the two on generated input, so the C code must
 * give the same result for every input it accepts. It only accepts the inputs
 * it handles simply and answers None for the rest, or calls the twin, for the
 * twin to handle.
 *
 * One file per concern, compiled into this one module (_speedups.h declares
 * what they share):
 *   _speedups_urls.c      query strings and urlencoded bodies (urls.py)
 *   _speedups_fields.c    scans of header field lists (Headers, Response,
 *                         Request.from_asgi, the ASGI adapter)
 *   _speedups_common.c    new_instance, and helpers of the files below
 *   _speedups_headers.c   Headers.__setitem__ (header_structures.py)
 *   _speedups_response.c  Response._prepare, text_response, plain_response,
 *                         page_parts (response.py)
 *   _speedups_request.c   Request.from_asgi and _from_environ (request.py)
 *   _speedups_ctx.c       making, pushing and popping request contexts (ctx.py)
 *   _speedups_wsgi.c      the WSGI adapter's serve_wsgi (wsgi.py)
 *   _speedups_call.c      Flask.__call__, the application's entry (app.py)
 *   _speedups_app.c       the application's direct pipeline: _handle_direct
 *                         and _respond (app.py)
 *   _speedups_routing.c   the URL match and a routing error's answer:
 *                         _match_request, _unraised_routing_error (app.py)
 *   _speedups_proxies.c   the request, current_app, g and websocket proxies
 *                         (globals.py)
 * This file holds the module's function tables and its initialisation: the
 * functions that stand for methods (they take the instance first) become
 * method descriptors of object, which any class can hold as its method.
 */
#include "_speedups.h"

static PyMethodDef class_hooks[] = {
    {"ctx_push", (PyCFunction)(void (*)(void))ctx_push, METH_FASTCALL,
     "RequestContext.push."},
    {"ctx_pop", (PyCFunction)(void (*)(void))ctx_pop, METH_FASTCALL | METH_KEYWORDS,
     "RequestContext.pop."},
    {"handle_direct", (PyCFunction)(void (*)(void))handle_direct, METH_FASTCALL,
     "Flask._handle_direct."},
    {"respond", (PyCFunction)(void (*)(void))respond, METH_FASTCALL,
     "Flask._respond."},
    {"match_request", (PyCFunction)(void (*)(void))match_request, METH_FASTCALL,
     "Flask._match_request."},
    {"unraised_routing_error", (PyCFunction)(void (*)(void))unraised_routing_error,
     METH_FASTCALL, "Flask._unraised_routing_error."},
    {"response_prepare", (PyCFunction)(void (*)(void))response_prepare,
     METH_FASTCALL | METH_KEYWORDS, "Response._prepare."},
    {"headers_setitem", (PyCFunction)(void (*)(void))headers_setitem,
     METH_FASTCALL, "Headers.__setitem__."},
    {"request_getattribute", (PyCFunction)(void (*)(void))request_getattribute,
     METH_FASTCALL, "The request proxy's attribute read."},
    {"app_getattribute", (PyCFunction)(void (*)(void))app_getattribute,
     METH_FASTCALL, "The current_app proxy's attribute read."},
    {"websocket_getattribute", (PyCFunction)(void (*)(void))websocket_getattribute,
     METH_FASTCALL, "The websocket proxy's attribute read."},
    {"g_getattribute", (PyCFunction)(void (*)(void))g_getattribute,
     METH_FASTCALL, "The g proxy's attribute read."},
    {"g_setattr", (PyCFunction)(void (*)(void))g_setattr, METH_FASTCALL,
     "The g proxy's attribute write."},
    {NULL, NULL, 0, NULL},
};

static PyMethodDef speedups_methods[] = {
    {"parse_query_lists", parse_query_lists, METH_O,
     "An ASCII query string as {name: [value, ...]}; None for other text."},
    {"add_new_field", (PyCFunction)(void (*)(void))add_new_field, METH_FASTCALL,
     "Append (name, value) when no field has that name: True; False when one "
     "has; None when the arguments are not plain safe text."},
    {"scan_send_rules", scan_send_rules, METH_O,
     "(has Content-Length, last Location, last Content-Location) of a field "
     "list; None when a name is not ASCII text."},
    {"scan_asgi_fields", (PyCFunction)(void (*)(void))scan_asgi_fields,
     METH_FASTCALL,
     "What Request.from_asgi reads from a scope's header fields; None when a "
     "field is not a pair of bytes."},
    {"encode_asgi_fields", encode_asgi_fields, METH_O,
     "A response's fields as ASGI sends them (lower-case latin-1 names); None "
     "when a name is not ASCII or a value not latin-1."},
    {"new_instance", new_instance, METH_O,
     "object.__new__(cls), without the argument checks of a Python call."},
    {"request_from_asgi", (PyCFunction)(void (*)(void))request_from_asgi,
     METH_FASTCALL | METH_KEYWORDS,
     "Request.from_asgi(cls, scope[, body]) for the classes configure_requests "
     "gave."},
    {"request_from_environ", (PyCFunction)(void (*)(void))request_from_environ,
     METH_FASTCALL,
     "Request._from_environ(cls, environ) for the classes configure_requests "
     "gave."},
    {"configure_requests", (PyCFunction)(void (*)(void))configure_requests,
     METH_FASTCALL,
     "Give request_from_asgi its classes, the Python from_asgi, the empty "
     "body, the methods without a body and the base request class."},
    {"new_request_context", (PyCFunction)(void (*)(void))new_request_context,
     METH_FASTCALL,
     "RequestContext._for_request(app, request), for the RequestContext class."},
    {"configure_contexts", (PyCFunction)(void (*)(void))configure_contexts,
     METH_FASTCALL,
     "Give ctx_push and ctx_pop the context classes and variables, the request "
     "classes whose close() only closes files, the four context signals and "
     "the Python methods."},
    {"configure_response", (PyCFunction)(void (*)(void))configure_response,
     METH_FASTCALL,
     "Give response_prepare the Python Response._prepare and the statuses "
     "without a body."},
    {"text_response", (PyCFunction)(void (*)(void))text_response,
     METH_FASTCALL | METH_KEYWORDS,
     "text_response(cls, text[, mimetype]) for the classes "
     "configure_text_response gave."},
    {"plain_response", (PyCFunction)(void (*)(void))plain_response, METH_FASTCALL,
     "plain_response(text, mimetype): what Response(text, mimetype=mimetype) "
     "sends."},
    {"page_parts", page_parts, METH_O,
     "page_parts(error): the parts of an HTTP error's standard page."},
    {"configure_page_parts", (PyCFunction)(void (*)(void))configure_page_parts,
     METH_FASTCALL,
     "Give page_parts the Python page_parts and its table of made pages, "
     "HTTPException, HTTP_STATUS_CODES, the page's Content-Type pair and "
     "the Response class."},
    {"configure_text_response", (PyCFunction)(void (*)(void))configure_text_response,
     METH_FASTCALL,
     "Give text_response and plain_response their classes, the Python "
     "text_response and plain_response, the base Response and Headers "
     "classes, Response.__init__ and the tables of Content-Type values, "
     "status lines and Content-Length texts."},
    {"serve_wsgi", (PyCFunction)(void (*)(void))serve_wsgi, METH_FASTCALL,
     "serve_wsgi(app, environ, start_response), the WSGI adapter."},
    {"configure_wsgi", (PyCFunction)(void (*)(void))configure_wsgi, METH_FASTCALL,
     "Give serve_wsgi the default request class, the Python serve_wsgi, the "
     "function that sends a Response object and the context variables' get "
     "methods."},
    {"app_call", (PyCFunction)(void (*)(void))app_call, METH_FASTCALL,
     "app_call(python_call, wsgi_app, asgi_app, serve_asgi): the C "
     "Flask.__call__, handing all but a plain WSGI or ASGI call to the Python "
     "one."},
    {"configure_app", (PyCFunction)(void (*)(void))configure_app, METH_FASTCALL,
     "Give handle_direct and respond the Python Flask._handle_direct, the "
     "default Response class, DefaultJSONProvider.response, the "
     "request_started and request_finished signals, the Python Flask._respond "
     "and the respond method descriptor, the _Chain, Flask and HTTPException "
     "classes, page_parts and Flask.make_response."},
    {"configure_routing", (PyCFunction)(void (*)(void))configure_routing,
     METH_FASTCALL,
     "Give match_request and unraised_routing_error the Python "
     "Flask._match_request, the Map class, Flask's error steps, the error "
     "classes and the Python Flask._unraised_routing_error."},
    {"configure_signals", configure_signals, METH_O,
     "Give the C helpers the signal class that keeps receivers in a slot."},
    {"configure_headers", configure_headers, METH_O,
     "Give headers_setitem the Python Headers.__setitem__ to fall back on."},
    {"configure_proxies", (PyCFunction)(void (*)(void))configure_proxies,
     METH_FASTCALL,
     "Give the proxy hooks the context variables, names, messages and g's "
     "first-write function of hipflask.globals."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT,
    "hipflask.http._speedups",
    "Optional C versions of hot steps of hipflask's request path.",
    -1,
    speedups_methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    PyObject *module = PyModule_Create(&speedups_module);
    if (module == NULL) {
        return NULL;
    }
    /* Method descriptors of object: unbound methods any class can hold. */
    for (PyMethodDef *def = class_hooks; def->ml_name != NULL; def++) {
        PyObject *descr = PyDescr_NewMethod(&PyBaseObject_Type, def);
        if (descr == NULL || PyModule_AddObject(module, def->ml_name, descr) < 0) {
            Py_XDECREF(descr);
            Py_DECREF(module);
            return NULL;
        }
    }
    return module;
}
