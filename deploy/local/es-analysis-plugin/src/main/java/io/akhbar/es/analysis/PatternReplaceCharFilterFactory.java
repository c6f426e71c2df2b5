package io.akhbar.es.analysis;

import java.io.Reader;
import java.util.regex.Pattern;

import org.apache.lucene.analysis.pattern.PatternReplaceCharFilter;
import org.elasticsearch.plugin.Inject;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.CharFilterFactory;
import org.elasticsearch.plugin.settings.AnalysisSettings;
import org.elasticsearch.plugin.settings.StringSetting;

/**
 * {@code pattern_replace} char filter: {@code pattern} (required), {@code flags},
 * {@code replacement} (default empty); offsets are corrected by Lucene; normalizing.
 */
@NamedComponent("pattern_replace")
public final class PatternReplaceCharFilterFactory implements CharFilterFactory {

    @AnalysisSettings
    public interface Settings {
        /** Present whenever a user defined this component; absent for ES's default instance. */
        @StringSetting(path = "type", defaultValue = Regexes.UNSET)
        String type();

        @StringSetting(path = "pattern", defaultValue = Regexes.UNSET)
        String pattern();

        @StringSetting(path = "flags", defaultValue = Regexes.UNSET)
        String flags();

        @StringSetting(path = "replacement", defaultValue = "")
        String replacement();
    }

    private final Pattern pattern;
    private final String replacement;

    private static final String MISSING = "pattern is missing for [pattern_replace] char filter of type 'pattern_replace'";

    @Inject
    public PatternReplaceCharFilterFactory(Settings settings) {
        if (Regexes.isSet(settings.pattern()) == false || settings.pattern().isBlank()) {
            if (Regexes.isSet(settings.type())) {
                throw new IllegalArgumentException(MISSING);
            }
            this.pattern = null;
        } else {
            this.pattern = Regexes.compile(settings.pattern(), settings.flags());
        }
        this.replacement = settings.replacement();
    }

    @Override
    public Reader create(Reader reader) {
        if (pattern == null) {
            throw new IllegalArgumentException(MISSING);
        }
        return new PatternReplaceCharFilter(pattern, replacement, reader);
    }

    @Override
    public Reader normalize(Reader reader) {
        return create(reader);
    }
}
