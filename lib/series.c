/* series.c - a thinned progress time series; see series.h. */
#include "series.h"

#include "err.h"
#include "manifest_json.h"

#include <assert.h>
#include <string.h>

void tn_series_init(struct tn_series *s, double min_spacing)
{
	assert(min_spacing > 0);
	memset(s, 0, sizeof(*s));
	s->spacing = min_spacing;
}

/* Keeps points 0, 2, 4, ... and the last one; doubles the spacing. */
static void thin(struct tn_series *s)
{
	size_t i, k = 0;

	for (i = 0; i < s->n; i += 2)
		s->p[k++] = s->p[i];
	if ((s->n - 1) % 2)
		s->p[k++] = s->p[s->n - 1];
	s->n = k;
	s->spacing *= 2;
}

void tn_series_add(struct tn_series *s, double seconds, uint64_t docs, uint64_t bytes, int force)
{
	struct tn_series_point pt = { seconds + s->offset, docs, bytes };

	if (s->n && pt.seconds - s->p[s->n - 1].seconds < s->spacing) {
		if (!force)
			return;
		/* The first point stays: it marks where the run (or a resume) began. */
		if (s->n > 1) {
			s->p[s->n - 1] = pt;
			return;
		}
	}
	if (s->n == TN_SERIES_MAX)
		thin(s);
	s->p[s->n++] = pt;
}

/* ---- JSON (manifest_json.h) ---- */

json_t *tn_series_json(const struct tn_series *s)
{
	json_t *pts = json_array();
	size_t i;

	for (i = 0; pts && i < s->n; i++)
		if (json_array_append_new(pts, json_pack("[f, I, I]", s->p[i].seconds, (json_int_t)s->p[i].docs,
							 (json_int_t)s->p[i].bytes))) {
			json_decref(pts);
			return NULL;
		}
	return pts ? json_pack("{s:f, s:o}", "spacing", s->spacing, "points", pts) : NULL;
}

int tn_series_from_json(struct tn_series *s, const json_t *j)
{
	const json_t *pts = json_object_get(j, "points"), *e;
	double spacing = json_number_value(json_object_get(j, "spacing"));
	size_t i;

	if (!json_is_array(pts) || json_array_size(pts) > TN_SERIES_MAX || !(spacing > 0))
		return TN_EFORMAT;
	tn_series_init(s, spacing);
	json_array_foreach(pts, i, e) {
		json_t *t = json_array_get(e, 0), *d = json_array_get(e, 1), *b = json_array_get(e, 2);

		if (json_array_size(e) != 3 || !json_is_number(t) || !json_is_integer(d) || !json_is_integer(b) ||
		    json_integer_value(d) < 0 || json_integer_value(b) < 0 ||
		    (i && json_number_value(t) < s->p[i - 1].seconds))
			return TN_EFORMAT;
		s->p[i].seconds = json_number_value(t);
		s->p[i].docs = (uint64_t)json_integer_value(d);
		s->p[i].bytes = (uint64_t)json_integer_value(b);
		s->n = i + 1;
	}
	s->offset = s->n ? s->p[s->n - 1].seconds : 0;
	return 0;
}
