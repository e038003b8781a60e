/*
 * tone_json.h - the tone features' settings in a bundle manifest's "features".
 *
 * Written only when a tone feature is on (a bundle without them is byte for
 * byte what it was before they existed):
 *   "negation": N                 tokens marked after a cue (absent: off)
 *   "attribution": true           reporting words and quotation marks
 *   "lexicon": {"name": "afinn-165.tsv", "words": {"abandon": -2, ...}}
 * The lexicon travels in the manifest, so classify needs no other file.
 */
#ifndef TN_TONE_JSON_H
#define TN_TONE_JSON_H

#include <jansson.h>

#include "err.h"
#include "feat.h"

/* Adds t's keys to the features object f.  Returns 0 or TN_ENOMEM. */
int tn_tone_json_write(json_t *f, const struct tn_tone_opts *t);

/*
 * Reads the tone keys of the features object f into o->tone (o->seed must be
 * set: the lexicon is hashed with it); o->tone.lex, when set, holds one
 * reference the caller drops.  Returns 0, or TN_EMODEL with a message naming
 * path; on error o->tone.lex is left NULL.
 */
int tn_tone_json_read(json_t *f, struct tn_feat_opts *o, const char *path, struct tn_err *err);

#endif
