/* report_asset: the run report's JavaScript (timeline) and CSS, as text (report_asset.c). */
#ifndef SIM_REPORT_ASSET_H
#define SIM_REPORT_ASSET_H
extern const char report_asset_js[];
extern const char report_asset_css[];
#endif
