/* select.h: choosing cases: --tags EXPR ("aws,sim", "aws,!slow": a case is selected when it has
 * at least one of the positive tags (or there are none) and none of the negated ones) and
 * --case NAME|GLOB (fnmatch; repeatable) and --source KINDS (the kinds of evidence, case.h). */
#ifndef CF_SELECT_H
#define CF_SELECT_H

#include <stddef.h>

#include "case.h"

/* 1 when case c matches the tag expression (NULL or "": everything). */
int cf_tags_match(const cf_case *c, const char *expr);
/* --source KINDS ("recorded", "doc,model"): 1 when c has a source of one of the kinds (NULL or "":
 * everything). Returns -1 when KINDS names an unknown kind. */
int cf_source_match(const cf_case *c, const char *kinds);
/* 1 when c's name matches one of the patterns (none given: everything). */
int cf_name_match(const cf_case *c, char *const *patterns, size_t n_patterns);

#endif
