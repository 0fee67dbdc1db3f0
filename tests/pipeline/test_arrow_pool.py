import threading

import pyarrow as pa

from pipeline.arrow_pool import arrow_system_pool


def test_the_system_pool_is_used_inside_and_the_old_pool_restored_after() -> None:
    before = pa.default_memory_pool().backend_name
    with arrow_system_pool():
        assert pa.default_memory_pool().backend_name == "system"
        with arrow_system_pool():
            assert pa.default_memory_pool().backend_name == "system"
        assert pa.default_memory_pool().backend_name == "system"
    assert pa.default_memory_pool().backend_name == before


def test_blocks_overlapping_in_threads_restore_the_pool_in_use_before_the_first() -> None:
    before = pa.default_memory_pool().backend_name
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[str] = []

    def first() -> None:
        with arrow_system_pool():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with arrow_system_pool():
            second_in.set()
            first_out.wait(5)  # the first block ended while this one runs
            seen.append(pa.default_memory_pool().backend_name)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == ["system"]
    assert pa.default_memory_pool().backend_name == before
