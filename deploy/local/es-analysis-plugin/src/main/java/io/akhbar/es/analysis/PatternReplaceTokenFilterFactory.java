package io.akhbar.es.analysis;

import java.util.regex.Pattern;

import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.pattern.PatternReplaceFilter;
import org.elasticsearch.plugin.Inject;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.TokenFilterFactory;
import org.elasticsearch.plugin.settings.AnalysisSettings;
import org.elasticsearch.plugin.settings.BooleanSetting;
import org.elasticsearch.plugin.settings.StringSetting;

/**
 * {@code pattern_replace} token filter: {@code pattern} (required, java.util.regex),
 * {@code flags}, {@code replacement} (default empty, {@code $1} back-references) and
 * {@code all} (default true: replace every match, else the first only); normalizing.
 */
@NamedComponent("pattern_replace")
public final class PatternReplaceTokenFilterFactory implements TokenFilterFactory {

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

        @BooleanSetting(path = "all", defaultValue = true)
        boolean all();
    }

    private final Pattern pattern;
    private final String replacement;
    private final boolean all;

    private static final String MISSING = "pattern is missing for [pattern_replace] token filter of type 'pattern_replace'";

    @Inject
    public PatternReplaceTokenFilterFactory(Settings settings) {
        if (Regexes.isSet(settings.pattern()) == false) {
            if (Regexes.isSet(settings.type())) {
                throw new IllegalArgumentException(MISSING);
            }
            this.pattern = null;
        } else {
            this.pattern = Regexes.compile(settings.pattern(), settings.flags());
        }
        this.replacement = settings.replacement();
        this.all = settings.all();
    }

    @Override
    public TokenStream create(TokenStream tokenStream) {
        if (pattern == null) {
            throw new IllegalArgumentException(MISSING);
        }
        return new PatternReplaceFilter(tokenStream, pattern, replacement, all);
    }

    @Override
    public TokenStream normalize(TokenStream tokenStream) {
        return create(tokenStream);
    }
}
