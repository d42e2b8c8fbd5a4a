package dev.attend.attention;

/**
 * Whether a mechanism can compute a problem, and if not, why: the reason names the mechanism, the
 * capability and the allowed values, so a benchmark can mark the cell "unsupported" and a user knows what
 * to change.
 */
public record Support(boolean supported, String reason) {
    public static final Support YES = new Support(true, "");

    public Support {
        if (!supported && (reason == null || reason.isBlank())) throw new IllegalArgumentException("reason: an unsupported problem needs a reason");
        if (reason == null) reason = "";
    }

    public static Support no(String reason) {
        return new Support(false, reason);
    }
}
