from __future__ import annotations

import pytest

from studio.topologies.models import ImmutableVersionError, TopologyVersion


def test_a_saved_version_cannot_change(wordcount_v1: TopologyVersion) -> None:
    wordcount_v1.message = "rewritten"
    with pytest.raises(ImmutableVersionError):
        wordcount_v1.save()
    wordcount_v1.refresh_from_db()
    assert wordcount_v1.message == "first"


def test_versions_know_their_topics(wordcount_v1: TopologyVersion) -> None:
    assert wordcount_v1.input_topics() and wordcount_v1.output_topics()
    assert set(wordcount_v1.input_topics()).isdisjoint(wordcount_v1.output_topics())
