import unittest

from shop_ranking import rank, similarity

TAGS = {
    "a": {"x", "y"},
    "b": {"x", "y"},
    "c": {"x"},
    "d": {"z"},
}


class RankTest(unittest.TestCase):
    def test_similarity_is_shared_over_all_tags(self) -> None:
        self.assertEqual(similarity({"x", "y"}, {"x"}), 0.5)
        self.assertEqual(similarity(set(), set()), 0.0)

    def test_most_similar_first_and_nothing_unrelated(self) -> None:
        self.assertEqual(rank("a", TAGS), ["b", "c"])

    def test_limit_and_ties_broken_by_id(self) -> None:
        tags = {"q": {"t"}, "m": {"t"}, "k": {"t"}, "p": {"t"}}
        self.assertEqual(rank("q", tags, limit=2), ["k", "m"])

    def test_an_unknown_item_is_an_error(self) -> None:
        with self.assertRaises(KeyError):
            rank("nope", TAGS)


if __name__ == "__main__":
    unittest.main()
