package dev.attend.tensor;

/**
 * The one exception that the tensor file readers ({@link Npy}, {@link Safetensors}) throw for a malformed or
 * unsupported file: bad magic, a header that does not parse, a field with a wrong type or value, sizes that do
 * not match the data. Its message names the file (when known), the field, the expected and the actual value,
 * e.g. {@code model.npy: descr: expected '<f4' or '<f2', got '>f4'}.
 *
 * <p>It is unchecked and extends {@link IllegalArgumentException}, like every other bad-input error of the
 * project: a malformed file is bad input, not an I/O failure. Genuine I/O failures (missing file, read error)
 * stay {@link java.io.IOException}s, so callers can tell "retry" from "this file is wrong".
 */
public class TensorFormatException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private static final int MAX_SHOWN = 80;

    private final String source;
    private final String field;

    /**
     * @param source   the file name or another description of the input, or null when unknown
     * @param field    the field or part of the file that is wrong, e.g. {@code "header length"}, {@code "shape"}
     * @param expected what a valid file has there
     * @param actual   what this file has there; non-printable characters are escaped and long text shortened
     *                 (callers quote raw file text with {@code show})
     */
    public TensorFormatException(String source, String field, String expected, Object actual) {
        super(prefix(source) + field + ": expected " + expected + ", got " + plain(actual));
        this.source = source;
        this.field = field;
    }

    /** For a refusal that is not an expected/actual pair, e.g. "Fortran order not supported". */
    public TensorFormatException(String source, String field, String detail) {
        super(prefix(source) + field + ": " + detail);
        this.source = source;
        this.field = field;
    }

    /** The file or input description, or null when unknown. */
    public String source() { return source; }

    /** The field or part of the file that is wrong. */
    public String field() { return field; }

    private static String prefix(String source) {
        return source == null ? "" : source + ": ";
    }

    /** Renders raw file text for a message: quoted, non-printable characters escaped, long values cut. */
    static String show(Object v) {
        if (!(v instanceof CharSequence s)) return String.valueOf(v);
        return "'" + escape(s, MAX_SHOWN) + "'";
    }

    private static String plain(Object v) {
        return v instanceof CharSequence s ? escape(s, 4 * MAX_SHOWN) : String.valueOf(v);
    }

    private static String escape(CharSequence s, int max) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && i < max; i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x7f) b.append(c);
            else b.append(String.format("\\x%02x", (int) c & 0xff));
        }
        if (s.length() > max) b.append("...(").append(s.length()).append(" chars)");
        return b.toString();
    }
}
