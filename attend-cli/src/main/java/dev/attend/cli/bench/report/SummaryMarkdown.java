package dev.attend.cli.bench.report;

import dev.attend.cli.bench.report.ReportDoc.Block;
import dev.attend.cli.bench.report.ReportDoc.Bullets;
import dev.attend.cli.bench.report.ReportDoc.Cell;
import dev.attend.cli.bench.report.ReportDoc.Charts;
import dev.attend.cli.bench.report.ReportDoc.Heading;
import dev.attend.cli.bench.report.ReportDoc.Para;
import dev.attend.cli.bench.report.ReportDoc.Table;
import java.util.List;

/** {@code summary.md}: the report's blocks as GitHub-flavoured Markdown (charts are in {@code index.html} only). */
final class SummaryMarkdown {
    private SummaryMarkdown() {}

    static String render(List<Block> blocks) {
        StringBuilder b = new StringBuilder();
        for (Block block : blocks) {
            switch (block) {
                case Heading h -> b.append("#".repeat(h.level())).append(' ').append(h.text()).append("\n\n");
                case Para p -> b.append(p.text()).append("\n\n");
                case Bullets l -> {
                    for (String item : l.items()) b.append("- ").append(oneLine(item)).append('\n');
                    b.append('\n');
                }
                case Table t -> table(b, t);
                case Charts c -> { }
            }
        }
        return b.toString().stripTrailing() + "\n";
    }

    private static void table(StringBuilder b, Table t) {
        b.append('|');
        for (String h : t.header()) b.append(' ').append(cell(h)).append(" |");
        b.append("\n|");
        for (Boolean n : t.numeric()) b.append(n ? "--:|" : "---|");
        b.append('\n');
        for (List<Cell> row : t.rows()) {
            b.append('|');
            for (Cell c : row) b.append(' ').append(cell(c.text())).append(" |");
            b.append('\n');
        }
        b.append('\n');
    }

    /** A table cell: a pipe would end the cell and a newline the row. */
    private static String cell(String s) {
        return oneLine(s).replace("|", "\\|");
    }

    private static String oneLine(String s) {
        return s.replace("\r", " ").replace("\n", " ");
    }
}
