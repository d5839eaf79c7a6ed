"""Build of the one compiled part: the native fast path of the Twitter v1.1 line kernel (readers/native/).

It is optional: where it cannot be compiled (no C++ compiler), marsad installs without it and the Python kernel
reads every line. Boost.JSON comes header-only from the pinned ``boost-headers`` build requirement."""
from setuptools import Extension, setup


def include() -> str:
    try:
        import boost_headers
    except ImportError:  # metadata-only steps (egg_info) run before the build requirements matter
        return ""
    return str(boost_headers.get_include())


setup(
    ext_modules=[
        Extension(
            "marsad.readers._v1native",
            ["src/marsad/readers/native/v1.cpp"],
            depends=[f"src/marsad/readers/native/{h}.hpp" for h in ("doc", "json_out", "values")],
            include_dirs=[include()],
            language="c++",
            extra_compile_args=["-std=c++17", "-O2", "-DBOOST_JSON_NO_LIB", "-DBOOST_CONTAINER_NO_LIB",
                                "-fvisibility=hidden"],
            optional=True,
        )
    ]
)
