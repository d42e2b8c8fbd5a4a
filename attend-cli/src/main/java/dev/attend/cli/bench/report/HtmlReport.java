package dev.attend.cli.bench.report;

import dev.attend.cli.bench.report.ReportDoc.Block;
import dev.attend.cli.bench.report.ReportDoc.Bullets;
import dev.attend.cli.bench.report.ReportDoc.Cell;
import dev.attend.cli.bench.report.ReportDoc.Charts;
import dev.attend.cli.bench.report.ReportDoc.Heading;
import dev.attend.cli.bench.report.ReportDoc.Para;
import dev.attend.cli.bench.report.ReportDoc.Table;
import java.util.List;

/**
 * {@code index.html}: the report's blocks as one self-contained page (inline CSS, no script, no network; the charts
 * are PNG files beside it), with a contents bar, the charts next to the tables they belong to, and the support
 * matrix coloured by cell kind.
 */
final class HtmlReport {
    private HtmlReport() {}

    private static final String CSS = """
            body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 0; color: #1d1d1f; }
            nav { position: sticky; top: 0; background: #f4f5f7; border-bottom: 1px solid #d8dadf; padding: 8px 24px; z-index: 1; }
            nav a { margin-right: 18px; color: #2457a6; text-decoration: none; }
            main { padding: 8px 24px 48px; max-width: 1500px; }
            h1 { font-size: 26px; margin: 18px 0 6px; }
            h2 { font-size: 21px; margin: 34px 0 8px; padding-top: 8px; border-top: 1px solid #e3e4e8; }
            h3 { font-size: 17px; margin: 22px 0 6px; }
            code { background: #f1f2f4; padding: 1px 4px; border-radius: 3px; font-size: 13px; }
            .scroll { overflow-x: auto; margin: 8px 0 12px; }
            table { border-collapse: collapse; font-size: 13px; }
            th, td { border: 1px solid #d8dadf; padding: 3px 7px; }
            td { max-width: 26em; } td.n, td.nw, th { white-space: nowrap; }
            th { background: #f4f5f7; position: sticky; top: 0; text-align: left; }
            td.n { text-align: right; font-variant-numeric: tabular-nums; }
            td.ok { background: #d8f0da; } td.warn { background: #fff1c4; }
            td.x { background: #e4e4e6; color: #555; text-align: center; } td.e { background: #f7cfcf; color: #8a1010; text-align: center; }
            table.matrix td.n { text-align: center; }
            figure { margin: 12px 0 20px; } figure img { max-width: 100%; height: auto; border: 1px solid #e3e4e8; }
            figcaption { color: #555; font-size: 13px; max-width: 1100px; }
            p.omitted { color: #666; font-style: italic; }
            ul { margin-top: 4px; }
            """;

    /**
     * The page. {@code charts} are the chart entries; when {@code drawn} is false the charts were not drawn in this
     * write (the run is still going) and the page says so instead of pointing at files that may not exist yet.
     */
    static String render(List<Block> blocks, List<ReportCharts.Entry> charts, boolean drawn) {
        StringBuilder b = new StringBuilder();
        String title = blocks.stream().filter(x -> x instanceof Heading h && h.level() == 1).map(x -> ((Heading) x).text()).findFirst()
                .orElse("Attend benchmark");
        b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>").append(esc(title))
                .append("</title>\n<style>\n").append(CSS).append("</style>\n</head>\n<body>\n<nav>");
        for (Block x : blocks) {
            if (x instanceof Heading h && h.level() == 2 && h.id() != null) {
                b.append("<a href=\"#").append(esc(h.id())).append("\">").append(esc(h.text())).append("</a>");
            }
        }
        b.append("</nav>\n<main>\n");
        boolean noted = false;
        for (Block block : blocks) {
            switch (block) {
                case Heading h -> b.append("<h").append(h.level()).append(h.id() == null ? "" : " id=\"" + esc(h.id()) + "\"").append('>')
                        .append(esc(h.text())).append("</h").append(h.level()).append(">\n");
                case Para p -> b.append("<p>").append(inline(p.text())).append("</p>\n");
                case Bullets l -> {
                    b.append("<ul>\n");
                    for (String item : l.items()) b.append("<li>").append(inline(item)).append("</li>\n");
                    b.append("</ul>\n");
                }
                case Table t -> table(b, t);
                case Charts c -> {
                    if (!drawn) {
                        if (!noted) b.append("<p class=\"omitted\">Charts are drawn when the run ends; this page is rewritten after every case.</p>\n");
                        noted = true;
                        continue;
                    }
                    for (ReportCharts.Entry e : charts) {
                        if (!e.group().equals(c.group())) continue;
                        switch (e) {
                            case ReportCharts.Drawn d -> b.append("<figure><img src=\"").append(esc(d.file())).append("\" alt=\"").append(esc(d.title()))
                                    .append("\" width=\"").append(d.chart().getWidth()).append("\" height=\"").append(d.chart().getHeight())
                                    .append("\"><figcaption>").append(inline(d.caption())).append("</figcaption></figure>\n");
                            case ReportCharts.Omitted o -> b.append("<p class=\"omitted\">Chart omitted (").append(esc(o.title())).append("): ")
                                    .append(esc(o.note())).append("</p>\n");
                        }
                    }
                }
            }
        }
        b.append("</main>\n</body>\n</html>\n");
        return b.toString();
    }

    private static void table(StringBuilder b, Table t) {
        b.append("<div class=\"scroll\"><table").append(t.css() == null ? "" : " class=\"" + esc(t.css()) + "\"").append(">\n<thead><tr>");
        for (String h : t.header()) b.append("<th>").append(esc(h)).append("</th>");
        b.append("</tr></thead>\n<tbody>\n");
        for (List<Cell> row : t.rows()) {
            b.append("<tr>");
            for (int i = 0; i < row.size(); i++) {
                Cell c = row.get(i);
                // Short text never wraps (a squeezed table would break "causal self"); specs and lists wrap at their separators.
                String layout = t.numeric().get(i) ? "n" : c.text().length() <= 24 ? "nw" : "";
                String css = (layout + " " + (c.css() == null ? "" : c.css())).strip();
                String text = t.numeric().get(i) ? esc(c.text()) : breakable(c.text());
                b.append("<td").append(css.isEmpty() ? "" : " class=\"" + css + "\"").append('>').append(text).append("</td>");
            }
            b.append("</tr>\n");
        }
        b.append("</tbody>\n</table></div>\n");
    }

    /** Escaped text that may wrap after the separators of specs and lists ({@code flash:blockQ=96,<wbr>blockK=96}). */
    private static String breakable(String s) {
        return esc(s).replaceAll("([,:;/])(?=\\S)", "$1<wbr>");
    }

    /** Escaped text with the two inline forms the report uses: {@code **bold**} and {@code `code`}. */
    private static String inline(String s) {
        return esc(s).replaceAll("\\*\\*(.+?)\\*\\*", "<b>$1</b>").replaceAll("`(.+?)`", "<code>$1</code>");
    }

    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                default -> b.append(ch);
            }
        }
        return b.toString();
    }
}
