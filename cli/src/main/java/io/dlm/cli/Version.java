package io.dlm.cli;

import picocli.CommandLine.IVersionProvider;

/** {@code dlm --version}: the version the jar was built as. */
final class Version implements IVersionProvider {

    /** Created by picocli. */
    Version() {}

    @Override
    public String[] getVersion() {
        String version = Dlm.class.getPackage().getImplementationVersion();
        return new String[] {"dlm " + (version == null ? "(development build)" : version)};
    }
}
