package dev.attend.cli.bench.report;

import java.util.List;

/**
 * The report as a list of blocks that {@code summary.md} and {@code index.html} both render, so the two show the
 * same tables. A block is a heading, a paragraph, a bullet list, a table, or (HTML only) the place where the
 * charts of one group go.
 */
final class ReportDoc {
    private ReportDoc() {}

    sealed interface Block permits Heading, Para, Bullets, Table, Charts {}

    /** A heading; {@code id} is the HTML anchor. */
    record Heading(int level, String text, String id) implements Block {}

    record Para(String text) implements Block {}

    record Bullets(List<String> items) implements Block {}

    /**
     * A table. {@code numeric} says which columns are right-aligned; {@code css} is the HTML table's class
     * ({@code matrix} for the support matrix, whose cells carry their own classes).
     */
    record Table(List<String> header, List<Boolean> numeric, List<List<Cell>> rows, String css) implements Block {
        Table {
            if (numeric.size() != header.size()) {
                throw new IllegalArgumentException("numeric: expected one flag per column (" + header.size() + "), got " + numeric.size());
            }
            for (List<Cell> row : rows) {
                if (row.size() != header.size()) {
                    throw new IllegalArgumentException("rows: expected " + header.size() + " cells per row, got " + row.size() + ": " + row);
                }
            }
        }
    }

    /** One table cell; {@code css} colours it in HTML ({@code ok}, {@code x}, {@code e}, {@code warn}) or is null. */
    record Cell(String text, String css) {
        static Cell of(String text) {
            return new Cell(text == null ? "" : text, null);
        }
    }

    /** Where the HTML report puts the charts of {@code group}; Markdown has none. */
    record Charts(String group) implements Block {}
}
