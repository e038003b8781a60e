/*
 * reliability.c - reliability tables and their SVG plot; see reliability.h.
 */
#include "reliability.h"
#include "buf.h"

#include <math.h>
#include <string.h>

void tn_reliability_init(struct tn_reliability *r)
{
	memset(r, 0, sizeof(*r));
}

void tn_reliability_add(struct tn_reliability *r, double p, int right)
{
	int b;

	if (isnan(p))
		return;
	p = p < 0 ? 0 : p > 1 ? 1 : p;
	b = (int)(p * TN_RELIABILITY_BINS);
	if (b >= TN_RELIABILITY_BINS)
		b = TN_RELIABILITY_BINS - 1;
	r->n[b]++;
	r->sum_p[b] += p;
	r->hits[b] += right != 0;
}

static int add_xml(struct tn_buf *b, const char *s)
{
	int bad = 0;

	for (; *s && !bad; s++)
		switch (*s) {
		case '<': bad = tn_buf_addstr(b, "&lt;"); break;
		case '>': bad = tn_buf_addstr(b, "&gt;"); break;
		case '&': bad = tn_buf_addstr(b, "&amp;"); break;
		case '"': bad = tn_buf_addstr(b, "&quot;"); break;
		default: bad = tn_buf_addch(b, *s);
		}
	return bad;
}

char *tn_reliability_svg(const struct tn_reliability *r, const char *title)
{
	/* Plot area: x0..x0+W, y0..y0+H; probability 0..1 on both axes. */
	const double x0 = 60, y0 = 40, W = 320, H = 320;
	struct tn_buf b = TN_BUF_INIT;
	uint64_t most = 1;
	int i, bad = 0;

	for (i = 0; i < TN_RELIABILITY_BINS; i++)
		if (r->n[i] > most)
			most = r->n[i];
	bad |= tn_buf_addf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"420\" height=\"420\" "
			   "viewBox=\"0 0 420 420\" font-family=\"sans-serif\" font-size=\"12\">\n"
			   "<rect width=\"420\" height=\"420\" fill=\"white\"/>\n<text x=\"210\" y=\"22\" "
			   "text-anchor=\"middle\" font-size=\"14\">");
	bad |= add_xml(&b, title);
	bad |= tn_buf_addstr(&b, "</text>\n");
	/* Counts per bin, scaled to the fullest bin. */
	for (i = 0; i < TN_RELIABILITY_BINS; i++) {
		double h = H * 0.25 * (double)r->n[i] / (double)most;

		bad |= tn_buf_addf(&b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#dde4ee\">"
				   "<title>%llu predictions</title></rect>\n",
				   x0 + W * i / TN_RELIABILITY_BINS + 1, y0 + H - h, W / TN_RELIABILITY_BINS - 2, h,
				   (unsigned long long)r->n[i]);
	}
	bad |= tn_buf_addf(&b, "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" stroke=\"#444\"/>\n",
			   x0, y0, W, H);
	bad |= tn_buf_addf(&b, "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>\n",
			   x0, y0 + H, x0 + W, y0);
	for (i = 0; i <= 10; i += 2) {
		bad |= tn_buf_addf(&b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.1f</text>\n",
				   x0 + W * i / 10, y0 + H + 16, i / 10.0);
		bad |= tn_buf_addf(&b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.1f</text>\n",
				   x0 - 6, y0 + H - H * i / 10 + 4, i / 10.0);
	}
	bad |= tn_buf_addf(&b, "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">predicted probability of the chosen class</text>\n",
			   x0 + W / 2, y0 + H + 34);
	bad |= tn_buf_addf(&b, "<text x=\"16\" y=\"%g\" text-anchor=\"middle\" transform=\"rotate(-90 16 %g)\">"
			   "observed accuracy</text>\n", y0 + H / 2, y0 + H / 2);
	bad |= tn_buf_addstr(&b, "<polyline fill=\"none\" stroke=\"#c0392b\" stroke-width=\"2\" points=\"");
	for (i = 0; i < TN_RELIABILITY_BINS; i++)
		if (r->n[i])
			bad |= tn_buf_addf(&b, "%.1f,%.1f ", x0 + W * r->sum_p[i] / (double)r->n[i],
					   y0 + H - H * (double)r->hits[i] / (double)r->n[i]);
	bad |= tn_buf_addstr(&b, "\"/>\n");
	for (i = 0; i < TN_RELIABILITY_BINS; i++)
		if (r->n[i]) {
			double p = r->sum_p[i] / (double)r->n[i], o = (double)r->hits[i] / (double)r->n[i];

			/* Area by the bin's share of predictions: a bin of one document is a dot. */
			bad |= tn_buf_addf(&b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"#c0392b\">"
					   "<title>predicted %.3f, observed %.3f, %llu predictions</title></circle>\n",
					   x0 + W * p, y0 + H - H * o, 1.5 + 5.0 * sqrt((double)r->n[i] / (double)most),
					   p, o, (unsigned long long)r->n[i]);
		}
	bad |= tn_buf_addstr(&b, "</svg>\n");
	if (bad) {
		tn_buf_release(&b);
		return NULL;
	}
	return tn_buf_detach(&b, NULL);
}
