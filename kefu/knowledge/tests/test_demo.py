import random

import pytest

from kefu.knowledge import demo, indexing
from kefu.knowledge.indexing import PORTAL_SCOPE
from kefu.knowledge.models import Article, Synonym

pytestmark = pytest.mark.django_db


def test_demo_is_bilingual_idempotent_and_searchable():
    demo.load(scale=1, rng=random.Random(1))
    count = Article.objects.count()
    assert count == 2 * len(demo.ARTICLES)
    assert Article.objects.filter(visibility="internal").count() == 6
    demo.load(scale=1, rng=random.Random(1))
    assert Article.objects.count() == count
    assert Synonym.objects.count() == len(demo.SYNONYMS)
    # every English article is linked to its Chinese original
    assert Article.objects.values("translation_group").distinct().count() == len(demo.ARTICLES)
    top = indexing.search("退钱", scope=PORTAL_SCOPE, limit=3).hits
    assert top and top[0].article.title in {"退款多久到账", "When will I get my refund?"}
    hits = indexing.search("充电", scope=PORTAL_SCOPE, limit=20).hits
    assert all(h.article.visibility == "public" for h in hits)
