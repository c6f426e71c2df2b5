package io.akhbar.es.analysis;

import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.miscellaneous.LengthFilter;
import org.elasticsearch.plugin.Inject;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.TokenFilterFactory;
import org.elasticsearch.plugin.settings.AnalysisSettings;
import org.elasticsearch.plugin.settings.IntSetting;

/** {@code length}: keeps tokens whose length (UTF-16 units) is within [min, max]. */
@NamedComponent("length")
public final class LengthTokenFilterFactory implements TokenFilterFactory {

    @AnalysisSettings
    public interface Settings {
        @IntSetting(path = "min", defaultValue = 0)
        int min();

        @IntSetting(path = "max", defaultValue = Integer.MAX_VALUE)
        int max();
    }

    private final int min;
    private final int max;

    @Inject
    public LengthTokenFilterFactory(Settings settings) {
        this.min = settings.min();
        this.max = settings.max();
        if (min < 0 || max < min) {
            throw new IllegalArgumentException("length filter needs 0 <= min <= max, got min=" + min + " max=" + max);
        }
    }

    @Override
    public TokenStream create(TokenStream tokenStream) {
        return new LengthFilter(tokenStream, min, max);
    }
}
