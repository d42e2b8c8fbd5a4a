package dev.attend.cli;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionMechanism;
import dev.attend.attention.mask.Mask;
import dev.attend.cli.bench.BenchSuite;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Option values checked while the command line is parsed, so that a wrong value is a usage error (exit 2,
 * one line naming the option) like any other, before a file is read or a benchmark starts.
 */
final class Converters {
    private Converters() {}

    static final class MaskSpec implements ITypeConverter<Mask> {
        @Override
        public Mask convert(String value) {
            try {
                return Mask.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    static final class MechanismSpec implements ITypeConverter<AttentionMechanism> {
        @Override
        public AttentionMechanism convert(String value) {
            try {
                return Attention.of(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    static final class Scale implements ITypeConverter<Float> {
        @Override
        public Float convert(String value) {
            float f;
            try {
                f = Float.parseFloat(value.strip());
            } catch (NumberFormatException e) {
                throw new TypeConversionException("expected a finite non-zero number, got '" + value + "'");
            }
            if (!Float.isFinite(f) || f == 0f) throw new TypeConversionException("expected a finite non-zero number, got '" + value + "'");
            return f;
        }
    }

    static final class Suite implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            try {
                BenchSuite.named(value);
                return value;
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
