package io.dlm.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Plain-text output: ids may hold any character (V1), so control characters and backslashes are
 * escaped to keep one lock on one line; durations print as seconds to the millisecond.
 */
final class Text {

    private Text() {}

    /**
     * An id made safe for one line: {@code \\}, {@code \n}, {@code \r}, {@code \t} and
     * {@code \}{@code uXXXX} for other control characters; everything else as it is.
     *
     * @param id the id
     * @return the printable form
     */
    static String escape(String id) {
        StringBuilder out = new StringBuilder(id.length());
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (Character.isISOControl(c)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }

    /**
     * A duration as seconds with milliseconds, e.g. {@code 29.512s}.
     *
     * @param duration the duration
     * @return the text
     */
    static String seconds(Duration duration) {
        long millis = duration.toMillis();
        return millis / 1000 + "." + String.format("%03d", millis % 1000) + "s";
    }

    /**
     * Rows as columns padded to their widest cell, two spaces apart, no trailing blanks.
     *
     * @param rows the cells, the header first
     * @return the lines
     */
    static List<String> table(List<List<String>> rows) {
        int columns = rows.get(0).size();
        int[] widths = new int[columns];
        for (List<String> row : rows) {
            for (int i = 0; i < columns; i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        List<String> lines = new ArrayList<>(rows.size());
        for (List<String> row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < columns; i++) {
                line.append(row.get(i));
                if (i < columns - 1) {
                    line.append(" ".repeat(widths[i] - row.get(i).length() + 2));
                }
            }
            lines.add(line.toString());
        }
        return lines;
    }
}
