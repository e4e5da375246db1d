// @oja/assistant: the WhatsApp shopping assistant's message classifier and money display.
//
// Each inbound text is classified as sales, order support or other with an Intent and a
// confidence in 0..1; below HANDOFF_CONFIDENCE the caller hands the chat to a person.
// createRuleClassifier is deterministic and offline (English + Nigerian Pidgin patterns);
// createAiClassifier asks a Workers AI model and falls back to another Classifier on any
// failure. Classifiers only label messages: prices and stock always come from the catalogue.
//
// Pure logic: no Workers, HTTP or Node imports.
export { type AiBinding, type AiClassifierOptions, createAiClassifier, DEFAULT_AI_TIMEOUT_MS } from "./ai.ts";
export { formatMoney } from "./money.ts";
export { createRuleClassifier } from "./rules.ts";
export { type Category, type Classification, type Classifier, HANDOFF_CONFIDENCE, type Intent } from "./types.ts";
