"""Helpers over the frames that the analysis leans on at a million messages."""

import pandas as pd

from analyzer.frames import key_mask


def test_key_mask_is_isin_for_text_and_categorical_columns():
    keys = pd.Series(["a", "b", None, "c", "a"], dtype="str")
    for column in (keys, keys.astype("category")):
        assert key_mask(column, {"a", "c"}).tolist() == [True, False, False, True, True]
        assert key_mask(column, set()).tolist() == [False] * 5
        assert key_mask(column, ["zz"]).tolist() == [False] * 5
