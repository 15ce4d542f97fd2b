package io.dlm.cdi;

import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A parsed {@code @DistributedLock.resource}: literal text and placeholders that name an argument
 * by parameter name ({@code {orderId}}) or position ({@code {0}}), optionally followed by a
 * property path ({@code {order.id}}). Parsed and checked once at deployment; rendering a call's
 * resource id only reads the arguments (D2, D5).
 */
final class ResourceTemplate {

    /** The resource id when the template has no placeholder, else {@code null}. */
    private final @Nullable String constant;

    private final Part[] parts;

    private ResourceTemplate(@Nullable String constant, Part[] parts) {
        this.constant = constant;
        this.parts = parts;
    }

    /**
     * Parses a template for a method; an empty template means {@code <FQCN of the declaring
     * class>.<method name>} (D2).
     *
     * @param template the annotation's (or override's) value
     * @param method the intercepted method
     * @param operation {@code Bean#method}, for messages
     * @param problems receives every problem found (D5)
     * @return the template, or {@code null} when it is invalid
     */
    static @Nullable ResourceTemplate parse(
            String template, Method method, String operation, Consumer<String> problems) {
        if (template.isEmpty()) {
            return constant(method.getDeclaringClass().getName() + "." + method.getName());
        }
        List<Part> parts = new ArrayList<>();
        boolean valid = true;
        int index = 0;
        while (index < template.length()) {
            int open = template.indexOf('{', index);
            int close = template.indexOf('}', index);
            if (close >= 0 && (open < 0 || close < open)) {
                problems.accept(DlmMessages.malformedTemplate(operation, template, "has '}' without '{'"));
                return null;
            }
            if (open < 0) {
                parts.add(new Literal(template.substring(index)));
                break;
            }
            if (open > index) {
                parts.add(new Literal(template.substring(index, open)));
            }
            if (close < 0) {
                problems.accept(DlmMessages.malformedTemplate(operation, template, "has '{' without '}'"));
                return null;
            }
            String placeholder = template.substring(open + 1, close);
            if (placeholder.indexOf('{') >= 0) {
                problems.accept(DlmMessages.malformedTemplate(operation, template, "nests '{' inside a placeholder"));
                return null;
            }
            Part argument = argument(placeholder, method, operation, template, problems);
            if (argument == null) {
                valid = false;
            } else {
                parts.add(argument);
            }
            index = close + 1;
        }
        if (!valid) {
            return null;
        }
        if (parts.size() == 1 && parts.get(0) instanceof Literal literal) {
            return constant(literal.text());
        }
        return new ResourceTemplate(null, parts.toArray(new Part[0]));
    }

    /**
     * The resource id of one call.
     *
     * @param arguments the call's arguments
     * @return the resolved resource id
     */
    String render(Object[] arguments) {
        if (constant != null) {
            return constant;
        }
        StringBuilder resource = new StringBuilder(64);
        for (Part part : parts) {
            part.appendTo(resource, arguments);
        }
        return resource.toString();
    }

    private static ResourceTemplate constant(String resource) {
        return new ResourceTemplate(resource, new Part[0]);
    }

    private static @Nullable Part argument(
            String placeholder, Method method, String operation, String template, Consumer<String> problems) {
        List<String> segments = Arrays.asList(placeholder.split("\\.", -1));
        if (segments.stream().anyMatch(String::isEmpty)) {
            problems.accept(DlmMessages.malformedTemplate(
                    operation, template, "has an empty name in placeholder {" + placeholder + "}"));
            return null;
        }
        Parameter[] parameters = method.getParameters();
        String head = segments.get(0);
        int position;
        if (head.chars().allMatch(Character::isDigit)) {
            position = parsePosition(head);
            if (position < 0 || position >= parameters.length) {
                problems.accept(DlmMessages.indexOutOfRange(operation, position, parameters.length));
                return null;
            }
        } else {
            position = positionOf(head, parameters, operation, problems);
            if (position < 0) {
                return null;
            }
        }
        PropertyPath path = PropertyPath.resolve(
                parameters[position].getType(),
                segments.subList(1, segments.size()),
                (type, property) ->
                        problems.accept(DlmMessages.unknownProperty(operation, placeholder, property, type)));
        return path == null ? null : new Argument(position, path);
    }

    private static int parsePosition(String digits) {
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            return Integer.MAX_VALUE;
        }
    }

    private static int positionOf(String name, Parameter[] parameters, String operation, Consumer<String> problems) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < parameters.length; i++) {
            if (!parameters[i].isNamePresent()) {
                problems.accept(DlmMessages.parameterNamesMissing(operation, name));
                return -1;
            }
            if (parameters[i].getName().equals(name)) {
                return i;
            }
            names.add(parameters[i].getName());
        }
        problems.accept(DlmMessages.unknownParameter(operation, name, names));
        return -1;
    }

    /** One piece of a template. */
    private interface Part {
        void appendTo(StringBuilder resource, Object[] arguments);
    }

    /** Text copied as it is. */
    private record Literal(String text) implements Part {
        @Override
        public void appendTo(StringBuilder resource, Object[] arguments) {
            resource.append(text);
        }
    }

    /** An argument, optionally followed by a property path, turned into text with String.valueOf. */
    private record Argument(int position, PropertyPath path) implements Part {
        @Override
        public void appendTo(StringBuilder resource, Object[] arguments) {
            resource.append(String.valueOf(path.valueOf(arguments[position])));
        }
    }
}
