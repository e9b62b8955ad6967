/*
 * report_checks.h - the sections of REPORT.md about race checks: what
 * `goc race` found in a run's programs (race.json in the run's folder),
 * the pitfalls' detection table (pitfalls.json, from goc pitfalls) and
 * what schedule chaos earned (chaos.json, from goc race --chaos-study).
 * A run without those files gets no such section.
 *
 * Ownership: the caller owns md; nothing is kept.
 */
#ifndef GOC_HARNESS_REPORT_CHECKS_H
#define GOC_HARNESS_REPORT_CHECKS_H

#include "util.h"

/* Append the race-check and chaos sections for the run in run_dir to md. */
void md_race_checks(strbuf *md, const char *run_dir);

#endif
