/**
 * Analysis components of Elasticsearch's analysis-common module, re-registered through the
 * stable plugin API for the integ-test-zip node of the local stack.
 *
 * <p>Each class is named after its analysis-common counterpart, registers under the same
 * {@code @NamedComponent} name, reads the same setting names with the same defaults and
 * builds the same Lucene filter. Filters that analysis-common marks as normalizing
 * ({@code NormalizingTokenFilterFactory}) override {@code normalize} so that normalizers and
 * multi-term queries behave as on the official image.
 */
package io.akhbar.es.analysis;
