// Typosquat detection: a new project name one or two edits (Damerau-Levenshtein: insert,
// delete, substitute, swap two neighbours) away from a name that is already hosted or is one of
// PyPI's most downloaded projects is held for a person to look at ("reqeusts", "djang0").

// Among the most downloaded PyPI projects (normalized), the names squatters aim at.
const POPULAR = `boto3 botocore urllib3 requests setuptools certifi charset-normalizer idna typing-extensions
python-dateutil s3transfer packaging aiobotocore six numpy pyyaml s3fs fsspec pip cryptography
grpcio-status cffi pycparser google-api-core pandas importlib-metadata pyasn1 rsa zipp attrs wheel
protobuf jmespath click platformdirs pydantic markupsafe awscli jinja2 colorama pytz rich tomli
pyjwt filelock googleapis-common-protos wrapt pluggy pytest virtualenv cachetools aiohttp
pydantic-core sqlalchemy jsonschema psutil pyasn1-modules multidict yarl google-auth pyarrow
frozenlist aiosignal docutils tzdata exceptiongroup grpcio iniconfig requests-oauthlib oauthlib
scipy soupsieve beautifulsoup4 pyparsing isodate decorator pillow greenlet werkzeug tqdm openpyxl
pygments httpx httpcore anyio sniffio h11 lxml async-timeout distlib more-itertools flask
tomlkit coverage markdown-it-py mdurl azure-core msal pynacl paramiko bcrypt websocket-client
chardet fastapi starlette uvicorn gunicorn django celery redis kombu billiard vine amqp
matplotlib kiwisolver cycler fonttools contourpy scikit-learn joblib threadpoolctl networkx
sympy mpmath torch torchvision tensorflow keras transformers tokenizers huggingface-hub
safetensors regex nltk openai tiktoken langchain pytest-cov pytest-mock mock black isort flake8
pylint mypy mypy-extensions pycodestyle pyflakes ruff pre-commit nodeenv identify cfgv
sphinx alembic mako psycopg2 psycopg2-binary pymysql pymongo elasticsearch boto google-cloud-storage
google-cloud-core google-resumable-media google-crc32c docker kubernetes ansible ansible-core
setuptools-scm poetry poetry-core hatchling build twine keyring pkginfo readme-renderer
requests-toolbelt tabulate termcolor toml python-dotenv itsdangerous blinker wcwidth prompt-toolkit
ipython traitlets jupyter-core jupyter-client notebook ipykernel tornado pyzmq nest-asyncio
arrow pendulum simplejson ujson orjson marshmallow sentry-sdk structlog loguru xmltodict
defusedxml pycryptodome pyopenssl ecdsa jsonpointer jsonpatch dill cloudpickle numba llvmlite
opencv-python imageio scikit-image seaborn plotly bokeh dash streamlit shapely pyproj geopandas
xlrd xlsxwriter et-xmlfile pyodbc cx-oracle snowflake-connector-python databricks-sql-connector
pyspark py4j great-expectations dbt-core apache-airflow selenium playwright scrapy twisted`
  .split(/\s+/)
  .filter(Boolean);

export const POPULAR_NAMES: ReadonlySet<string> = new Set(POPULAR);

// Three rows of the distance table, reused across calls: a new project is compared with every
// hosted name (tens of thousands), and allocating per comparison dominated the cost.
let rows = new Int32Array(3 * 64);

/** Optimal-string-alignment distance, giving up (returning max + 1) once it exceeds `max`. */
export function damerauLevenshtein(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const n = b.length;
  const w = n + 1;
  if (rows.length < 3 * w) rows = new Int32Array(3 * w * 2);
  // Row offsets into `rows`, rotated each line: two lines back, the previous, the current.
  let prev2 = 0;
  let prev = w;
  let cur = 2 * w;
  for (let j = 0; j <= n; j++) rows[prev + j] = j;
  for (let i = 1; i <= a.length; i++) {
    rows[cur] = i;
    let rowMin = i;
    const ai = a.charCodeAt(i - 1);
    const aPrev = i > 1 ? a.charCodeAt(i - 2) : -1;
    for (let j = 1; j <= n; j++) {
      const bj = b.charCodeAt(j - 1);
      const cost = ai === bj ? 0 : 1;
      let d = rows[prev + j]! + 1;
      const ins = rows[cur + j - 1]! + 1;
      if (ins < d) d = ins;
      const sub = rows[prev + j - 1]! + cost;
      if (sub < d) d = sub;
      if (i > 1 && j > 1 && ai === b.charCodeAt(j - 2) && aPrev === bj) {
        const swap = rows[prev2 + j - 2]! + 1;
        if (swap < d) d = swap;
      }
      rows[cur + j] = d;
      if (d < rowMin) rowMin = d;
    }
    // Later rows build on this one, or through a swap on the one before plus one, which is
    // never less than this row's minimum: once this row is past `max`, so is the answer.
    if (rowMin > max) return max + 1;
    const t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
  }
  const d = rows[prev + n]!;
  return d > max ? max + 1 : d;
}

/**
 * The known names `name` imitates: within `maxDistance` edits and not `name` itself. Names
 * that differ only by separators are the same project (PEP 503) and were normalized already.
 */
export function lookalikes(name: string, known: Iterable<string>, maxDistance: number): string[] {
  const out: string[] = [];
  // Very short names are all within one edit of each other; only exact swaps count there.
  const limit = name.length <= 4 ? Math.min(maxDistance, 1) : maxDistance;
  for (const k of known) {
    if (k === name || k.length <= 3) continue;
    if (damerauLevenshtein(name, k, limit) <= limit) out.push(k);
  }
  return out.sort();
}
