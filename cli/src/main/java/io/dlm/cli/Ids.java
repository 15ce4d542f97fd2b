package io.dlm.cli;

/**
 * Checks ids given on the command line as the runtime would (V1), but before anything connects,
 * so that bad input costs nothing and the message names the argument as the help spells it.
 */
final class Ids {

    /** The longest id, in UTF-16 chars (V1). */
    static final int MAX_LENGTH = 1024;

    private Ids() {}

    /**
     * Checks a resource id or a prefix of one.
     *
     * @param argument the name of the argument, e.g. {@code RESOURCE}
     * @param id the value
     * @param mayBeEmpty whether the empty string is allowed (a prefix)
     * @return the id
     * @throws BadInputException naming the argument
     */
    static String check(String argument, String id, boolean mayBeEmpty) {
        if (id.isEmpty() && !mayBeEmpty) {
            throw new BadInputException(argument + " must not be empty");
        }
        if (id.length() > MAX_LENGTH) {
            throw new BadInputException(
                    argument + " is " + id.length() + " chars long; at most " + MAX_LENGTH + " are allowed");
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < id.length() && Character.isLowSurrogate(id.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new BadInputException(argument + " has an unpaired surrogate at index " + i);
            }
        }
        return id;
    }
}
