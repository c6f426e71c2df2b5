package io.akhbar.es.analysis;

import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.el.GreekLowerCaseFilter;
import org.apache.lucene.analysis.ga.IrishLowerCaseFilter;
import org.apache.lucene.analysis.tr.TurkishLowerCaseFilter;
import org.elasticsearch.plugin.Inject;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.TokenFilterFactory;
import org.elasticsearch.plugin.settings.AnalysisSettings;
import org.elasticsearch.plugin.settings.StringSetting;

/**
 * Configurable {@code lowercase} with {@code language} (greek, irish, turkish). The bare
 * node only has the pre-configured lowercase, which silently ignores {@code language}.
 */
@NamedComponent("lowercase")
public final class LowerCaseTokenFilterFactory implements TokenFilterFactory {

    @AnalysisSettings
    public interface Settings {
        @StringSetting(path = "language", defaultValue = Regexes.UNSET)
        String language();
    }

    private final String language;

    @Inject
    public LowerCaseTokenFilterFactory(Settings settings) {
        String lang = Regexes.isSet(settings.language()) ? settings.language() : null;
        if (lang != null && lang.equalsIgnoreCase("greek") == false && lang.equalsIgnoreCase("irish") == false
            && lang.equalsIgnoreCase("turkish") == false) {
            throw new IllegalArgumentException("language [" + lang + "] not support for lower case");
        }
        this.language = lang;
    }

    @Override
    public TokenStream create(TokenStream tokenStream) {
        if (language == null) {
            return new LowerCaseFilter(tokenStream);
        } else if (language.equalsIgnoreCase("greek")) {
            return new GreekLowerCaseFilter(tokenStream);
        } else if (language.equalsIgnoreCase("irish")) {
            return new IrishLowerCaseFilter(tokenStream);
        }
        return new TurkishLowerCaseFilter(tokenStream);
    }

    @Override
    public TokenStream normalize(TokenStream tokenStream) {
        return create(tokenStream);
    }
}
