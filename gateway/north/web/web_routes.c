/* web_routes: THE route table of /api/v1 (web_route.h). A new endpoint is a
 * row here, its handler in a web_api_*.c file, its path in docs/openapi.yaml
 * and docs/api.md; who may call it follows from the roles' path prefixes
 * (web_access.c). test_web_routes checks the table against docs/openapi.yaml. */
#include "north/web/web_route.h"

/* web_api_session.c */
void web_api_login(web_ctx *c);
void web_api_whoami(web_ctx *c);
void web_api_logout(web_ctx *c);
void web_api_password(web_ctx *c);
/* web_api_status.c */
void web_api_status(web_ctx *c);
/* web_api_meters.c */
void web_api_meters(web_ctx *c);
void web_api_meter(web_ctx *c);
void web_api_meter_history(web_ctx *c);
void web_api_points(web_ctx *c);
/* web_api_events.c */
void web_api_events(web_ctx *c);
/* web_api_reports.c */
void web_api_reports(web_ctx *c);
void web_api_report_trigger(web_ctx *c);
/* web_api_wireless.c */
void web_api_listen_list(web_ctx *c);
void web_api_keys_get(web_ctx *c);
void web_api_keys_import(web_ctx *c);
/* web_api_users.c */
void web_api_users(web_ctx *c);
void web_api_user_add(web_ctx *c);
void web_api_user_get(web_ctx *c);
void web_api_user_change(web_ctx *c);
void web_api_user_remove(web_ctx *c);
void web_api_token_add(web_ctx *c);
void web_api_token_remove(web_ctx *c);
void web_api_roles(web_ctx *c);
void web_api_role_put(web_ctx *c);
void web_api_role_remove(web_ctx *c);
/* web_api_cert.c */
void web_api_cert_get(web_ctx *c);
void web_api_cert_put(web_ctx *c);
/* web_api_export.c */
void web_api_export(web_ctx *c);
/* web_api_config.c */
void web_api_config_get(web_ctx *c);
void web_api_config_enter(web_ctx *c);
void web_api_config_leave(web_ctx *c);
void web_api_config_staged_get(web_ctx *c);
void web_api_config_staged_put(web_ctx *c);
void web_api_config_diff(web_ctx *c);
void web_api_config_apply(web_ctx *c);
void web_api_config_export(web_ctx *c);
void web_api_config_import(web_ctx *c);
/* web_api_scans.c */
void web_api_buses(web_ctx *c);
void web_api_scan_start(web_ctx *c);
void web_api_scan_get(web_ctx *c);

const web_route web_routes[] = {
    {"POST", "/api/v1/session", WEB_PUBLIC, web_api_login},
    {"GET", "/api/v1/session", WEB_SELF, web_api_whoami},
    {"DELETE", "/api/v1/session", WEB_SELF, web_api_logout},
    {"POST", "/api/v1/session/password", WEB_SELF, web_api_password},
    {"GET", "/api/v1/status", 0, web_api_status},
    {"GET", "/api/v1/meters", 0, web_api_meters},
    {"GET", "/api/v1/meters/{name}", 0, web_api_meter},
    {"GET", "/api/v1/meters/{name}/history", 0, web_api_meter_history},
    {"GET", "/api/v1/points", 0, web_api_points},
    {"GET", "/api/v1/events", 0, web_api_events},
    {"GET", "/api/v1/reports", 0, web_api_reports},
    {"POST", "/api/v1/reports/{name}/trigger", 0, web_api_report_trigger},
    {"GET", "/api/v1/wireless/listen", 0, web_api_listen_list},
    {"GET", "/api/v1/keys", 0, web_api_keys_get},
    {"PUT", "/api/v1/keys", 0, web_api_keys_import},
    {"GET", "/api/v1/users", 0, web_api_users},
    {"POST", "/api/v1/users", 0, web_api_user_add},
    {"GET", "/api/v1/users/{name}", 0, web_api_user_get},
    {"PATCH", "/api/v1/users/{name}", 0, web_api_user_change},
    {"DELETE", "/api/v1/users/{name}", 0, web_api_user_remove},
    {"POST", "/api/v1/users/{name}/tokens", 0, web_api_token_add},
    {"DELETE", "/api/v1/users/{name}/tokens/{id}", 0, web_api_token_remove},
    {"GET", "/api/v1/roles", 0, web_api_roles},
    {"PUT", "/api/v1/roles/{name}", 0, web_api_role_put},
    {"DELETE", "/api/v1/roles/{name}", 0, web_api_role_remove},
    {"GET", "/api/v1/certificate", 0, web_api_cert_get},
    {"PUT", "/api/v1/certificate", 0, web_api_cert_put},
    {"GET", "/api/v1/export", 0, web_api_export},
    {"GET", "/api/v1/config", 0, web_api_config_get},
    {"POST", "/api/v1/config/mode", 0, web_api_config_enter},
    {"DELETE", "/api/v1/config/mode", 0, web_api_config_leave},
    {"GET", "/api/v1/config/staged", 0, web_api_config_staged_get},
    {"PUT", "/api/v1/config/staged", 0, web_api_config_staged_put},
    {"GET", "/api/v1/config/diff", 0, web_api_config_diff},
    {"POST", "/api/v1/config/apply", 0, web_api_config_apply},
    {"GET", "/api/v1/config/export", 0, web_api_config_export},
    {"PUT", "/api/v1/config/import", 0, web_api_config_import},
    {"GET", "/api/v1/buses", 0, web_api_buses},
    {"POST", "/api/v1/buses/{bus}/scans", 0, web_api_scan_start},
    {"GET", "/api/v1/buses/{bus}/scans/{id}", 0, web_api_scan_get},
};
const size_t web_n_routes = sizeof web_routes / sizeof web_routes[0];
