"""Writes the .npy / .npz fixtures of test/fixtures/import with numpy itself (the real writer of these formats).

Run from the repository root: python3 scripts/import-fixtures/make_numpy.py (numpy >= 1.17). The values are the
ones test/helpers/import-fixtures.ts lists, so the tests compare what the readers return with known answers.
"""
import numpy as np

OUT = "test/fixtures/import/"
ITEMS = np.array([[1, 0, 0.5, -1], [0, 1, 0.25, 2], [0.5, 0.5, -0.5, 0], [-1, 2, 0, 0.125], [0.75, -0.25, 1, 1]], dtype=np.float32)
USERS = np.array([[1, 1, 0, 0], [0, -1, 2, 0.5], [0.25, 0, 0, 1]], dtype=np.float32)

# implicit's AlternatingLeastSquares.save(): np.savez of its factors and hyper-parameters (0-d arrays).
np.savez(OUT + "implicit-als.npz", user_factors=USERS, item_factors=ITEMS, factors=np.int64(4),
         regularization=np.float64(0.01), alpha=np.float64(1.0), iterations=np.int64(15))
# The same with ids and biases, compressed (numpy.savez_compressed deflates each member).
np.savez_compressed(OUT + "biased.npz", user_factors=USERS, item_factors=ITEMS,
                    user_ids=np.array(["u7", "u8", "u9"]), item_ids=np.array([10, 20, 30, 40, 50], dtype=np.int64),
                    user_bias=np.array([0.5, -0.5, 0], dtype=np.float32),
                    item_bias=np.array([0.25, 0, -0.25, 1, 0.125], dtype=np.float32), global_bias=np.float32(3.5))
np.save(OUT + "items.npy", ITEMS)
np.save(OUT + "item-ids.npy", np.array(["a", "bb", "c\u00e9", "d", "e"]))
np.save(OUT + "items-f8-fortran.npy", np.asfortranarray(ITEMS.astype(np.float64)))
np.save(OUT + "items-big-endian.npy", ITEMS.astype(">f4"))
np.save(OUT + "items-f16.npy", ITEMS.astype(np.float16))
np.save(OUT + "items-3d.npy", ITEMS.reshape(5, 2, 2))
np.save(OUT + "pickled.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
nan = ITEMS.copy()
nan[3, 2] = np.nan
np.save(OUT + "items-nan.npy", nan)
