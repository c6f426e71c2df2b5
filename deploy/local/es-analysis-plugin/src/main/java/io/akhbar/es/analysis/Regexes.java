package io.akhbar.es.analysis;

import java.util.Locale;
import java.util.regex.Pattern;

/** Pattern compilation with the same {@code flags} syntax as Elasticsearch's {@code Regex.compile}. */
final class Regexes {

    /** Default of string settings that must be told apart from an explicit empty string. */
    static final String UNSET = "\u0000akhbar-unset\u0000";

    private Regexes() {}

    static Pattern compile(String regex, String flags) {
        return Pattern.compile(regex, flags == null || flags.equals(UNSET) ? 0 : flagsFromString(flags));
    }

    /** {@code "CASE_INSENSITIVE|COMMENTS"} style, case-insensitive names, empty parts ignored. */
    static int flagsFromString(String flags) {
        int result = 0;
        for (String raw : flags.split("\\|")) {
            String flag = raw.toUpperCase(Locale.ROOT);
            if (flag.isEmpty()) {
                continue;
            }
            result |= switch (flag) {
                case "CASE_INSENSITIVE" -> Pattern.CASE_INSENSITIVE;
                case "MULTILINE" -> Pattern.MULTILINE;
                case "DOTALL" -> Pattern.DOTALL;
                case "UNICODE_CASE" -> Pattern.UNICODE_CASE;
                case "CANON_EQ" -> Pattern.CANON_EQ;
                case "UNIX_LINES" -> Pattern.UNIX_LINES;
                case "LITERAL" -> Pattern.LITERAL;
                case "COMMENTS" -> Pattern.COMMENTS;
                case "UNICODE_CHAR_CLASS" -> Pattern.UNICODE_CHARACTER_CLASS;
                default -> throw new IllegalArgumentException("Unknown regex flag [" + flag + "]");
            };
        }
        return result;
    }

    /**
     * Elasticsearch also builds every plugin component once with empty settings when it
     * creates an index (analysis-common marks these as "requires settings"; the stable API
     * cannot). A definition written by a user always carries {@code type}, so components
     * that need settings validate only when {@code type} is present and otherwise fail on use.
     */
    static boolean isSet(String value) {
        return value != null && value.equals(UNSET) == false;
    }
}
