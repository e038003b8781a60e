/*
 * tone_json.c - tone feature settings to and from the manifest (tone_json.h).
 */
#include "tone_json.h"

#include <string.h>

int tn_tone_json_write(json_t *f, const struct tn_tone_opts *t)
{
	if (t->neg_scope > 0 && json_object_set_new(f, "negation", json_integer(t->neg_scope)))
		return TN_ENOMEM;
	if (t->attribution && json_object_set_new(f, "attribution", json_true()))
		return TN_ENOMEM;
	if (t->lex) {
		json_t *words = json_object(), *lex;
		size_t i;

		if (!words)
			return TN_ENOMEM;
		for (i = 0; i < tn_lex_count(t->lex); i++)
			if (json_object_set_new(words, tn_lex_word(t->lex, i), json_integer(tn_lex_score(t->lex, i)))) {
				json_decref(words);
				return TN_ENOMEM;
			}
		lex = json_pack("{s:s, s:o}", "name", tn_lex_name(t->lex), "words", words);
		if (!lex || json_object_set_new(f, "lexicon", lex))
			return TN_ENOMEM;
	}
	return 0;
}

static int read_lexicon(json_t *v, struct tn_feat_opts *o, const char *path, struct tn_err *err)
{
	json_t *words = json_object_get(v, "words"), *score;
	const char *name = json_string_value(json_object_get(v, "name")), *word;
	struct tn_lex *l;

	if (!json_is_object(v) || !name || !json_is_object(words) || json_object_size(words) == 0)
		return tn_err_set(err, TN_EMODEL, "'%s': \"lexicon\" needs a \"name\" and non-empty \"words\"", path);
	l = tn_lex_create(name, o->seed);
	if (!l)
		return tn_err_set(err, TN_EMODEL, "'%s': out of memory reading the lexicon", path);
	json_object_foreach(words, word, score) {
		int rc;

		if (!json_is_integer(score) || json_integer_value(score) < -TN_LEX_SCORE_MAX ||
		    json_integer_value(score) > TN_LEX_SCORE_MAX)
			rc = TN_EFORMAT;
		else
			rc = tn_lex_add(l, word, (int)json_integer_value(score));
		if (rc) {
			tn_lex_unref(l);
			return tn_err_set(err, TN_EMODEL, "'%s': bad lexicon entry '%s'", path, word);
		}
	}
	o->tone.lex = l;
	return 0;
}

int tn_tone_json_read(json_t *f, struct tn_feat_opts *o, const char *path, struct tn_err *err)
{
	json_t *neg = json_object_get(f, "negation"), *attr = json_object_get(f, "attribution");
	json_t *lex = json_object_get(f, "lexicon");

	o->tone.neg_scope = 0;
	o->tone.attribution = 0;
	o->tone.lex = NULL;
	if (neg && (!json_is_integer(neg) || json_integer_value(neg) < 1 ||
		    json_integer_value(neg) > TN_TONE_NEG_MAX))
		return tn_err_set(err, TN_EMODEL, "'%s': \"negation\" must be 1..%d tokens", path, TN_TONE_NEG_MAX);
	if (attr && !json_is_true(attr))
		return tn_err_set(err, TN_EMODEL, "'%s': \"attribution\" must be true when present", path);
	o->tone.neg_scope = neg ? (int)json_integer_value(neg) : 0;
	o->tone.attribution = attr != NULL;
	return lex ? read_lexicon(lex, o, path, err) : 0;
}
