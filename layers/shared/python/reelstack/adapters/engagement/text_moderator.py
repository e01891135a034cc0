"""The text moderation of comments: a word list and a small classifier, both shipped by packages.

- `better-profanity` (0.7.0, 46 KB, pure Python): a curated word list matched with its common
  character substitutions ("sh1t", "f*ck"): catches the explicit words at once, whatever the context.
- `alt-profanity-check` (1.7.2, 0.76 MB): a linear SVM over character-aware TF-IDF, trained on ~200,000
  human-labelled comments, scoring insults and abuse that use no listed word ("go kill yourself
  loser": 0.999). It needs scikit-learn (the same 1.7.2 the ROI engine runs on).
A text is held when the word list matches or the classifier's probability reaches `threshold` (0.8:
measured on our own samples, friendly comments score under 0.1 and abuse over 0.9).

Why not Amazon Comprehend's toxicity detection: it costs per 100-character unit on every comment and a
network call, and it cannot run in the local cloud; this step is the same code in both, ~1 ms a
comment. The moderator loads both on first use (scikit-learn takes ~1.4 s to import), in the comment
moderation function only: the API never loads it.
"""

from __future__ import annotations

from typing import Any

DEFAULT_THRESHOLD = 0.8


class PackagedTextModerator:
    def __init__(self, threshold: float = DEFAULT_THRESHOLD) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError("the text moderation threshold is a probability in (0, 1]")
        self.threshold = threshold
        self._words: Any = None
        self._classifier: Any = None

    def _load(self) -> None:
        if self._words is None:
            from better_profanity import profanity
            from profanity_check import predict_prob

            profanity.load_censor_words()
            self._words, self._classifier = profanity, predict_prob

    def score(self, text: str) -> float:
        """The classifier's probability that the text is abusive."""
        self._load()
        return float(self._classifier([text])[0])

    def flags(self, text: str) -> list[str]:
        """Why `text` should wait for a reviewer: "word_list", "classifier:<p>", both, or neither."""
        self._load()
        found = []
        if self._words.contains_profanity(text):
            found.append("word_list")
        probability = self.score(text)
        if probability >= self.threshold:
            found.append(f"classifier:{probability:.2f}")
        return found
