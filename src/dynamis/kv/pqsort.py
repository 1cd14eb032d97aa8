"""Redis's pqsort.c: NetBSD's qsort (Bentley-McIlroy) that only sorts the part of the array that can
land in [lrange, rrange]. SORT ... LIMIT and GEOSEARCH ... COUNT use it, so that elements that
compare equal end up where Redis puts them, not where a stable sort would.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def pqsort(items: list[Any], cmp: Callable[[Any, Any], int], lrange: int, rrange: int) -> None:
    """Sort `items` in place enough that positions lrange..rrange hold what a full sort would put there."""
    v = items

    def swap(i: int, j: int) -> None:
        v[i], v[j] = v[j], v[i]

    def vecswap(i: int, j: int, n: int) -> None:
        for t in range(n):
            swap(i + t, j + t)

    def med3(i: int, j: int, k: int) -> int:
        if cmp(v[i], v[j]) < 0:
            return j if cmp(v[j], v[k]) < 0 else (k if cmp(v[i], v[k]) < 0 else i)
        return j if cmp(v[j], v[k]) > 0 else (i if cmp(v[i], v[k]) < 0 else k)

    def insertion(a: int, n: int) -> None:
        for m in range(a + 1, a + n):
            i = m
            while i > a and cmp(v[i - 1], v[i]) > 0:
                swap(i, i - 1)
                i -= 1

    def outside(a: int, n: int) -> bool:
        return (lrange < a and rrange < a) or (lrange >= a + n and rrange >= a + n)

    def sort(a: int, n: int) -> None:
        while True:
            if n < 7:
                insertion(a, n)
                return
            pm = a + n // 2
            if n > 7:
                pl, pn = a, a + n - 1
                if n > 40:
                    d = n // 8
                    pl = med3(pl, pl + d, pl + 2 * d)
                    pm = med3(pm - d, pm, pm + d)
                    pn = med3(pn - 2 * d, pn - d, pn)
                pm = med3(pl, pm, pn)
            swap(a, pm)
            pa = pb = a + 1
            pc = pd = a + n - 1
            swapped = False
            while True:
                while pb <= pc and (c := cmp(v[pb], v[a])) <= 0:
                    if c == 0:
                        swapped = True
                        swap(pa, pb)
                        pa += 1
                    pb += 1
                while pb <= pc and (c := cmp(v[pc], v[a])) >= 0:
                    if c == 0:
                        swapped = True
                        swap(pc, pd)
                        pd -= 1
                    pc -= 1
                if pb > pc:
                    break
                swap(pb, pc)
                swapped = True
                pb += 1
                pc -= 1
            if not swapped:  # NetBSD's switch to insertion sort, kept by Redis
                insertion(a, n)
                return
            pn = a + n
            r = min(pa - a, pb - pa)
            vecswap(a, pb - r, r)
            r = min(pd - pc, pn - pd - 1)
            vecswap(pb, pn - r, r)
            r = pb - pa
            if r > 1 and not outside(a, r):
                sort(a, r)
            r = pd - pc
            if r <= 1:
                return
            a, n = pn - r, r
            if outside(a, n):
                return

    sort(0, len(items))


def by_first_field(descending: bool) -> Callable[[Any, Any], int]:
    """A three-way comparison of tuples by their first field (SORT scores, GEO distances)."""
    sign = -1 if descending else 1
    return lambda x, y: sign * ((x[0] > y[0]) - (x[0] < y[0]))
