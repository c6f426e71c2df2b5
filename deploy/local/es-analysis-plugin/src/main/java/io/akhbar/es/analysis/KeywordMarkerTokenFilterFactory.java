package io.akhbar.es.analysis;

import java.util.List;
import java.util.regex.Pattern;

import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.miscellaneous.PatternKeywordMarkerFilter;
import org.apache.lucene.analysis.miscellaneous.SetKeywordMarkerFilter;
import org.elasticsearch.plugin.Inject;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.AnalysisMode;
import org.elasticsearch.plugin.analysis.TokenFilterFactory;
import org.elasticsearch.plugin.settings.AnalysisSettings;
import org.elasticsearch.plugin.settings.BooleanSetting;
import org.elasticsearch.plugin.settings.ListSetting;
import org.elasticsearch.plugin.settings.StringSetting;

/**
 * {@code keyword_marker}: marks listed tokens as keywords so stemmers such as
 * {@code arabic_stem} leave them alone. Settings: {@code keywords} (list),
 * {@code keywords_pattern} (regex, exclusive with keywords), {@code ignore_case}
 * (default false), {@code updateable} (search-time only). {@code keywords_path} is not
 * supported: a stable plugin cannot read the node's config directory.
 */
@NamedComponent("keyword_marker")
public final class KeywordMarkerTokenFilterFactory implements TokenFilterFactory {

    @AnalysisSettings
    public interface Settings {
        /** Present whenever a user defined this component; absent for ES's default instance. */
        @StringSetting(path = "type", defaultValue = Regexes.UNSET)
        String type();

        @ListSetting(path = "keywords")
        List<String> keywords();

        @StringSetting(path = "keywords_pattern", defaultValue = Regexes.UNSET)
        String keywordsPattern();

        @StringSetting(path = "keywords_path", defaultValue = Regexes.UNSET)
        String keywordsPath();

        @BooleanSetting(path = "ignore_case", defaultValue = false)
        boolean ignoreCase();

        @BooleanSetting(path = "updateable", defaultValue = false)
        boolean updateable();
    }

    private static final String MISSING =
        "keyword filter requires either `keywords`, `keywords_path`, or `keywords_pattern` to be configured";

    private final CharArraySet keywords;
    private final Pattern keywordsPattern;
    private final AnalysisMode analysisMode;

    @Inject
    public KeywordMarkerTokenFilterFactory(Settings settings) {
        if (Regexes.isSet(settings.keywordsPath())) {
            throw new IllegalArgumentException("[keywords_path] is not supported by the local stack's keyword_marker; use [keywords]");
        }
        if (Regexes.isSet(settings.keywordsPattern())) {
            if (settings.keywords().isEmpty() == false) {
                throw new IllegalArgumentException("cannot specify both `keywords_pattern` and `keywords` or `keywords_path`");
            }
            this.keywordsPattern = Pattern.compile(settings.keywordsPattern());
            this.keywords = null;
        } else {
            if (settings.keywords().isEmpty() && Regexes.isSet(settings.type())) {
                throw new IllegalArgumentException(MISSING);
            }
            this.keywords = settings.keywords().isEmpty() ? null : new CharArraySet(settings.keywords(), settings.ignoreCase());
            this.keywordsPattern = null;
        }
        this.analysisMode = settings.updateable() ? AnalysisMode.SEARCH_TIME : AnalysisMode.ALL;
    }

    @Override
    public TokenStream create(TokenStream tokenStream) {
        if (keywordsPattern != null) {
            return new PatternKeywordMarkerFilter(tokenStream, keywordsPattern);
        }
        if (keywords == null) {
            throw new IllegalArgumentException(MISSING);
        }
        return new SetKeywordMarkerFilter(tokenStream, keywords);
    }

    @Override
    public AnalysisMode getAnalysisMode() {
        return analysisMode;
    }
}
