"""The exact list of what a pickled model may make raudit import and run while it loads.

A pickle names globals as ``(module, qualname)`` and then calls, instantiates
or restores the state of what they name. raudit's restricted unpickler
(:mod:`raudit.load.pickle.unpickler`) looks every name up in :data:`ENTRIES` below,
imports that exact object, checks that it *is* what the entry says (a class
defined under that name, or that exact function, never a module object or a
re-export), and refuses anything else. Nothing is allowed by prefix or by
pattern. The table was generated from the pickles of a broad zoo of fitted
models (``scripts/allowlist_globals.py``, which re-runs with new library
versions and prints what is missing) and then reviewed by hand, one line at a
time; each line says why it is safe.

Kinds
-----
``CLASS``
    A class the pickle may instantiate *without* calling ``__init__``
    (``NEWOBJ``, ``copyreg``) and whose state it may restore (``BUILD``):
    a plain ``__dict__`` update, or the class's ``__setstate__`` only when the
    class that defines it is in :data:`SETSTATE` (reviewed) or is a scipy.stats
    distribution (rebuilt safely, see :data:`DISTRIBUTIONS`). Instantiating
    runs ``__new__``: ``object.__new__`` or one listed in :data:`NEW`.
``CALL``
    A class the pickle *calls* with arguments (``REDUCE``): its constructor is
    part of the review (the reason says what it does); raudit also checks the
    arguments where the reason says so.
``FUNCTION``
    A reviewed reconstructor the pickle calls. raudit hands the pickle a
    wrapper that checks the arguments first (``raudit.load.pickle.unpickler``), so the
    function only ever builds what it was reviewed to build.
``REFERENCE``
    An object the pickle only refers to (a metric function a scorer holds, a
    singleton): it is never called while loading.

Beyond the table, a pickle may refer to a NumPy or SciPy *ufunc* by name
(``numpy.log1p`` in a ``FunctionTransformer``): allowed only in the modules
of :data:`UFUNC_MODULES` and only when the name resolves to a real
``numpy.ufunc`` instance, which is then a ``REFERENCE``.

Nothing from raudit itself is ever on this list: a pickle can never reach the
loader's own state. The tables are tuples, frozensets and read-only mappings
built once at import.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

__all__ = ["Entry", "ENTRIES", "CLASS", "CALL", "FUNCTION", "REFERENCE", "SETSTATE", "NEW", "DISTRIBUTIONS",
           "UFUNC_MODULES", "is_ufunc_name", "by_name", "GADGETS", "known_gadget"]

Kind = Literal["class", "call", "function", "reference"]
CLASS: Final = "class"
CALL: Final = "call"
FUNCTION: Final = "function"
REFERENCE: Final = "reference"


@dataclass(frozen=True)
class Entry:
    """One global a pickle may import.

    Parameters
    ----------
    module, qualname : str
        The name as a pickle writes it.
    kind : {"class", "call", "function", "reference"}
        What the pickle may do with it (see the module docstring).
    reason : str
        Why that is safe.
    alias_of : str, optional
        ``"module:qualname"`` where the object really lives, for names that
        older library versions wrote (``numpy.core`` before NumPy 2).
    """

    module: str
    qualname: str
    kind: Kind
    reason: str
    alias_of: str | None = None

    @property
    def name(self) -> str:
        """``module.qualname``, as messages and skops write it."""
        return f"{self.module}.{self.qualname}"

    @property
    def identity(self) -> tuple[str, str]:
        """``(module, qualname)`` the resolved object must carry."""
        if self.alias_of:
            module, _, qualname = self.alias_of.partition(":")
            return module, qualname
        return self.module, self.qualname


def _block(text: str, kind: Kind, reason: str) -> tuple[Entry, ...]:
    """Entries for a block of ``module:Name`` lines sharing one reason."""
    out = []
    for item in text.split():
        module, _, qualname = item.partition(":")
        out.append(Entry(module, qualname, kind, reason))
    return tuple(out)


_ESTIMATOR = ("scikit-learn estimator: built with object.__new__, state restored by BaseEstimator.__setstate__ "
              "(version check, then __dict__.update); __init__ is never called")

#: Every public scikit-learn estimator (``sklearn.utils.all_estimators()`` of scikit-learn 1.9.1).
SKLEARN_ESTIMATORS: Final = _block("""
    sklearn.calibration:CalibratedClassifierCV
    sklearn.cluster._affinity_propagation:AffinityPropagation sklearn.cluster._agglomerative:AgglomerativeClustering
    sklearn.cluster._agglomerative:FeatureAgglomeration sklearn.cluster._bicluster:SpectralBiclustering
    sklearn.cluster._bicluster:SpectralCoclustering sklearn.cluster._birch:Birch sklearn.cluster._bisect_k_means:BisectingKMeans
    sklearn.cluster._dbscan:DBSCAN sklearn.cluster._hdbscan.hdbscan:HDBSCAN sklearn.cluster._kmeans:KMeans
    sklearn.cluster._kmeans:MiniBatchKMeans sklearn.cluster._mean_shift:MeanShift sklearn.cluster._optics:OPTICS
    sklearn.cluster._spectral:SpectralClustering
    sklearn.compose._column_transformer:ColumnTransformer sklearn.compose._target:TransformedTargetRegressor
    sklearn.covariance._elliptic_envelope:EllipticEnvelope sklearn.covariance._empirical_covariance:EmpiricalCovariance
    sklearn.covariance._graph_lasso:GraphicalLasso sklearn.covariance._graph_lasso:GraphicalLassoCV
    sklearn.covariance._robust_covariance:MinCovDet sklearn.covariance._shrunk_covariance:LedoitWolf
    sklearn.covariance._shrunk_covariance:OAS sklearn.covariance._shrunk_covariance:ShrunkCovariance
    sklearn.cross_decomposition._pls:CCA sklearn.cross_decomposition._pls:PLSCanonical sklearn.cross_decomposition._pls:PLSRegression
    sklearn.cross_decomposition._pls:PLSSVD
    sklearn.decomposition._dict_learning:DictionaryLearning sklearn.decomposition._dict_learning:MiniBatchDictionaryLearning
    sklearn.decomposition._dict_learning:SparseCoder sklearn.decomposition._factor_analysis:FactorAnalysis
    sklearn.decomposition._fastica:FastICA sklearn.decomposition._incremental_pca:IncrementalPCA
    sklearn.decomposition._kernel_pca:KernelPCA sklearn.decomposition._lda:LatentDirichletAllocation
    sklearn.decomposition._nmf:MiniBatchNMF sklearn.decomposition._nmf:NMF sklearn.decomposition._pca:PCA
    sklearn.decomposition._sparse_pca:MiniBatchSparsePCA sklearn.decomposition._sparse_pca:SparsePCA
    sklearn.decomposition._truncated_svd:TruncatedSVD
    sklearn.discriminant_analysis:LinearDiscriminantAnalysis sklearn.discriminant_analysis:QuadraticDiscriminantAnalysis
    sklearn.dummy:DummyClassifier sklearn.dummy:DummyRegressor
    sklearn.ensemble._bagging:BaggingClassifier sklearn.ensemble._bagging:BaggingRegressor
    sklearn.ensemble._forest:ExtraTreesClassifier sklearn.ensemble._forest:ExtraTreesRegressor
    sklearn.ensemble._forest:RandomForestClassifier sklearn.ensemble._forest:RandomForestRegressor
    sklearn.ensemble._forest:RandomTreesEmbedding sklearn.ensemble._gb:GradientBoostingClassifier
    sklearn.ensemble._gb:GradientBoostingRegressor
    sklearn.ensemble._hist_gradient_boosting.gradient_boosting:HistGradientBoostingClassifier
    sklearn.ensemble._hist_gradient_boosting.gradient_boosting:HistGradientBoostingRegressor
    sklearn.ensemble._iforest:IsolationForest sklearn.ensemble._stacking:StackingClassifier sklearn.ensemble._stacking:StackingRegressor
    sklearn.ensemble._voting:VotingClassifier sklearn.ensemble._voting:VotingRegressor
    sklearn.ensemble._weight_boosting:AdaBoostClassifier sklearn.ensemble._weight_boosting:AdaBoostRegressor
    sklearn.feature_extraction._dict_vectorizer:DictVectorizer sklearn.feature_extraction._hash:FeatureHasher
    sklearn.feature_extraction.image:PatchExtractor sklearn.feature_extraction.text:CountVectorizer
    sklearn.feature_extraction.text:HashingVectorizer sklearn.feature_extraction.text:TfidfTransformer
    sklearn.feature_extraction.text:TfidfVectorizer
    sklearn.feature_selection._from_model:SelectFromModel sklearn.feature_selection._rfe:RFE sklearn.feature_selection._rfe:RFECV
    sklearn.feature_selection._sequential:SequentialFeatureSelector
    sklearn.feature_selection._univariate_selection:GenericUnivariateSelect sklearn.feature_selection._univariate_selection:SelectFdr
    sklearn.feature_selection._univariate_selection:SelectFpr sklearn.feature_selection._univariate_selection:SelectFwe
    sklearn.feature_selection._univariate_selection:SelectKBest sklearn.feature_selection._univariate_selection:SelectPercentile
    sklearn.feature_selection._variance_threshold:VarianceThreshold sklearn.frozen._frozen:FrozenEstimator
    sklearn.gaussian_process._gpc:GaussianProcessClassifier sklearn.gaussian_process._gpr:GaussianProcessRegressor
    sklearn.impute._base:MissingIndicator sklearn.impute._base:SimpleImputer sklearn.impute._knn:KNNImputer
    sklearn.kernel_approximation:AdditiveChi2Sampler sklearn.kernel_approximation:Nystroem
    sklearn.kernel_approximation:PolynomialCountSketch sklearn.kernel_approximation:RBFSampler
    sklearn.kernel_approximation:SkewedChi2Sampler sklearn.kernel_ridge:KernelRidge
    sklearn.linear_model._base:LinearRegression sklearn.linear_model._bayes:ARDRegression sklearn.linear_model._bayes:BayesianRidge
    sklearn.linear_model._coordinate_descent:ElasticNet sklearn.linear_model._coordinate_descent:ElasticNetCV
    sklearn.linear_model._coordinate_descent:Lasso sklearn.linear_model._coordinate_descent:LassoCV
    sklearn.linear_model._coordinate_descent:MultiTaskElasticNet sklearn.linear_model._coordinate_descent:MultiTaskElasticNetCV
    sklearn.linear_model._coordinate_descent:MultiTaskLasso sklearn.linear_model._coordinate_descent:MultiTaskLassoCV
    sklearn.linear_model._glm.glm:GammaRegressor sklearn.linear_model._glm.glm:PoissonRegressor
    sklearn.linear_model._glm.glm:TweedieRegressor sklearn.linear_model._huber:HuberRegressor
    sklearn.linear_model._least_angle:Lars sklearn.linear_model._least_angle:LarsCV sklearn.linear_model._least_angle:LassoLars
    sklearn.linear_model._least_angle:LassoLarsCV sklearn.linear_model._least_angle:LassoLarsIC
    sklearn.linear_model._logistic:LogisticRegression sklearn.linear_model._logistic:LogisticRegressionCV
    sklearn.linear_model._omp:OrthogonalMatchingPursuit sklearn.linear_model._omp:OrthogonalMatchingPursuitCV
    sklearn.linear_model._passive_aggressive:PassiveAggressiveClassifier
    sklearn.linear_model._passive_aggressive:PassiveAggressiveRegressor sklearn.linear_model._perceptron:Perceptron
    sklearn.linear_model._quantile:QuantileRegressor sklearn.linear_model._ransac:RANSACRegressor
    sklearn.linear_model._ridge:Ridge sklearn.linear_model._ridge:RidgeCV sklearn.linear_model._ridge:RidgeClassifier
    sklearn.linear_model._ridge:RidgeClassifierCV sklearn.linear_model._stochastic_gradient:SGDClassifier
    sklearn.linear_model._stochastic_gradient:SGDOneClassSVM sklearn.linear_model._stochastic_gradient:SGDRegressor
    sklearn.linear_model._theil_sen:TheilSenRegressor
    sklearn.manifold._classical_mds:ClassicalMDS sklearn.manifold._isomap:Isomap sklearn.manifold._locally_linear:LocallyLinearEmbedding
    sklearn.manifold._mds:MDS sklearn.manifold._spectral_embedding:SpectralEmbedding sklearn.manifold._t_sne:TSNE
    sklearn.mixture._bayesian_mixture:BayesianGaussianMixture sklearn.mixture._gaussian_mixture:GaussianMixture
    sklearn.model_selection._classification_threshold:FixedThresholdClassifier
    sklearn.model_selection._classification_threshold:TunedThresholdClassifierCV
    sklearn.model_selection._search:GridSearchCV sklearn.model_selection._search:RandomizedSearchCV
    sklearn.multiclass:OneVsOneClassifier sklearn.multiclass:OneVsRestClassifier sklearn.multiclass:OutputCodeClassifier
    sklearn.multioutput:ClassifierChain sklearn.multioutput:MultiOutputClassifier sklearn.multioutput:MultiOutputRegressor
    sklearn.multioutput:RegressorChain
    sklearn.naive_bayes:BernoulliNB sklearn.naive_bayes:CategoricalNB sklearn.naive_bayes:ComplementNB
    sklearn.naive_bayes:GaussianNB sklearn.naive_bayes:MultinomialNB
    sklearn.neighbors._classification:KNeighborsClassifier sklearn.neighbors._classification:RadiusNeighborsClassifier
    sklearn.neighbors._graph:KNeighborsTransformer sklearn.neighbors._graph:RadiusNeighborsTransformer
    sklearn.neighbors._kde:KernelDensity sklearn.neighbors._lof:LocalOutlierFactor
    sklearn.neighbors._nca:NeighborhoodComponentsAnalysis sklearn.neighbors._nearest_centroid:NearestCentroid
    sklearn.neighbors._regression:KNeighborsRegressor sklearn.neighbors._regression:RadiusNeighborsRegressor
    sklearn.neighbors._unsupervised:NearestNeighbors
    sklearn.neural_network._multilayer_perceptron:MLPClassifier sklearn.neural_network._multilayer_perceptron:MLPRegressor
    sklearn.neural_network._rbm:BernoulliRBM
    sklearn.pipeline:FeatureUnion sklearn.pipeline:Pipeline
    sklearn.preprocessing._data:Binarizer sklearn.preprocessing._data:KernelCenterer sklearn.preprocessing._data:MaxAbsScaler
    sklearn.preprocessing._data:MinMaxScaler sklearn.preprocessing._data:Normalizer sklearn.preprocessing._data:PowerTransformer
    sklearn.preprocessing._data:QuantileTransformer sklearn.preprocessing._data:RobustScaler sklearn.preprocessing._data:StandardScaler
    sklearn.preprocessing._discretization:KBinsDiscretizer sklearn.preprocessing._encoders:OneHotEncoder
    sklearn.preprocessing._encoders:OrdinalEncoder sklearn.preprocessing._function_transformer:FunctionTransformer
    sklearn.preprocessing._label:LabelBinarizer sklearn.preprocessing._label:LabelEncoder
    sklearn.preprocessing._label:MultiLabelBinarizer sklearn.preprocessing._polynomial:PolynomialFeatures
    sklearn.preprocessing._polynomial:SplineTransformer sklearn.preprocessing._target_encoder:TargetEncoder
    sklearn.random_projection:GaussianRandomProjection sklearn.random_projection:SparseRandomProjection
    sklearn.semi_supervised._label_propagation:LabelPropagation sklearn.semi_supervised._label_propagation:LabelSpreading
    sklearn.semi_supervised._self_training:SelfTrainingClassifier
    sklearn.svm._classes:LinearSVC sklearn.svm._classes:LinearSVR sklearn.svm._classes:NuSVC sklearn.svm._classes:NuSVR
    sklearn.svm._classes:OneClassSVM sklearn.svm._classes:SVC sklearn.svm._classes:SVR
    sklearn.tree._classes:DecisionTreeClassifier sklearn.tree._classes:DecisionTreeRegressor
    sklearn.tree._classes:ExtraTreeClassifier sklearn.tree._classes:ExtraTreeRegressor
    sklearn.isotonic:IsotonicRegression
    sklearn.calibration:_CalibratedClassifier sklearn.calibration:_SigmoidCalibration
    sklearn.ensemble._hist_gradient_boosting.binning:_BinMapper
    sklearn.gaussian_process._gpc:_BinaryGaussianProcessClassifierLaplace
    xgboost.sklearn:XGBClassifier xgboost.sklearn:XGBRegressor xgboost.sklearn:XGBRanker
    xgboost.sklearn:XGBRFClassifier xgboost.sklearn:XGBRFRegressor
    lightgbm.sklearn:LGBMClassifier lightgbm.sklearn:LGBMRegressor lightgbm.sklearn:LGBMRanker
""", CLASS, _ESTIMATOR)

_PLAIN = "plain Python object: object.__new__, then __dict__.update of its attributes; no __setstate__"

#: Fitted helpers that sit inside estimators.
SKLEARN_INTERNALS: Final = _block("""
    sklearn._loss.link:IdentityLink sklearn._loss.link:Interval sklearn._loss.link:LogLink sklearn._loss.link:LogitLink
    sklearn._loss.link:HalfLogitLink sklearn._loss.link:MultinomialLogit
    sklearn._loss.loss:AbsoluteError sklearn._loss.loss:ExponentialLoss sklearn._loss.loss:HalfBinomialLoss
    sklearn._loss.loss:HalfGammaLoss sklearn._loss.loss:HalfMultinomialLoss sklearn._loss.loss:HalfPoissonLoss
    sklearn._loss.loss:HalfSquaredError sklearn._loss.loss:HalfTweedieLoss sklearn._loss.loss:HalfTweedieLossIdentity
    sklearn._loss.loss:HuberLoss sklearn._loss.loss:PinballLoss
    sklearn.gaussian_process.kernels:CompoundKernel sklearn.gaussian_process.kernels:ConstantKernel
    sklearn.gaussian_process.kernels:DotProduct sklearn.gaussian_process.kernels:ExpSineSquared
    sklearn.gaussian_process.kernels:Exponentiation sklearn.gaussian_process.kernels:Matern
    sklearn.gaussian_process.kernels:PairwiseKernel sklearn.gaussian_process.kernels:Product sklearn.gaussian_process.kernels:RBF
    sklearn.gaussian_process.kernels:RationalQuadratic sklearn.gaussian_process.kernels:Sum sklearn.gaussian_process.kernels:WhiteKernel
    sklearn.model_selection._split:GroupKFold sklearn.model_selection._split:GroupShuffleSplit sklearn.model_selection._split:KFold
    sklearn.model_selection._split:LeaveOneGroupOut sklearn.model_selection._split:LeaveOneOut
    sklearn.model_selection._split:LeavePGroupsOut sklearn.model_selection._split:LeavePOut
    sklearn.model_selection._split:PredefinedSplit sklearn.model_selection._split:RepeatedKFold
    sklearn.model_selection._split:RepeatedStratifiedKFold sklearn.model_selection._split:ShuffleSplit
    sklearn.model_selection._split:StratifiedGroupKFold sklearn.model_selection._split:StratifiedKFold
    sklearn.model_selection._split:StratifiedShuffleSplit sklearn.model_selection._split:TimeSeriesSplit
    sklearn.metrics._scorer:_Scorer sklearn.metrics._scorer:_PassthroughScorer sklearn.metrics._scorer:_MultimetricScorer
    sklearn.metrics._scorer:_CurveScorer
    sklearn.neural_network._stochastic_optimizers:AdamOptimizer sklearn.neural_network._stochastic_optimizers:SGDOptimizer
    sklearn.compose._column_transformer:make_column_selector
    sklearn.utils._metadata_requests:MetadataRequest sklearn.utils._metadata_requests:MethodMetadataRequest
    scipy.interpolate._bsplines:BSpline scipy.interpolate._interpolate:interp1d
    pandas.arrays:IntegerArray pandas.arrays:FloatingArray pandas.arrays:BooleanArray
    pandas:Int64Dtype pandas:Int32Dtype pandas:Float64Dtype pandas:BooleanDtype
    scipy.stats._distn_infrastructure:rv_continuous_frozen scipy.stats._distn_infrastructure:rv_discrete_frozen
    numpy:vectorize
""", CLASS, _PLAIN)

_DIST_METRIC = ("scikit-learn Cython distance metric: created by its newObj(cls) reconstructor (only these classes), state "
                "(p, vec, mat arrays) restored by DistanceMetric.__setstate__, which checks them")

#: ``sklearn.metrics.DistanceMetric`` classes a fitted neighbors model holds.
DIST_METRICS: Final = _block(" ".join(
    f"sklearn.metrics._dist_metrics:{name}{bits}"
    for name in ("BrayCurtisDistance", "CanberraDistance", "ChebyshevDistance", "DiceDistance", "EuclideanDistance",
                 "HammingDistance", "HaversineDistance", "JaccardDistance", "MahalanobisDistance", "ManhattanDistance",
                 "MatchingDistance", "MinkowskiDistance", "RogersTanimotoDistance", "RussellRaoDistance", "SEuclideanDistance",
                 "SokalMichenerDistance", "SokalSneathDistance")
    for bits in ("32", "64")), CLASS, _DIST_METRIC)

_DISTRIBUTION = ("scipy.stats distribution generator (a RandomizedSearchCV's param_distributions): its own __setstate__ "
                 "execs text from the pickle, so raudit never calls it; it rebuilds the distribution with scipy's public "
                 "constructor from checked parameters and refuses a pickled argument parser that differs")

#: scipy.stats distributions commonly used in hyper-parameter searches (rebuilt, never ``__setstate__``).
DISTRIBUTIONS: Final = _block("""
    scipy.stats._continuous_distns:uniform_gen scipy.stats._continuous_distns:reciprocal_gen
    scipy.stats._continuous_distns:norm_gen scipy.stats._continuous_distns:expon_gen scipy.stats._continuous_distns:beta_gen
    scipy.stats._continuous_distns:gamma_gen scipy.stats._continuous_distns:lognorm_gen scipy.stats._continuous_distns:truncnorm_gen
    scipy.stats._continuous_distns:halfnorm_gen scipy.stats._continuous_distns:halfcauchy_gen scipy.stats._continuous_distns:cauchy_gen
    scipy.stats._continuous_distns:logistic_gen scipy.stats._continuous_distns:laplace_gen scipy.stats._continuous_distns:t_gen
    scipy.stats._continuous_distns:triang_gen scipy.stats._continuous_distns:truncexpon_gen scipy.stats._continuous_distns:weibull_min_gen
    scipy.stats._continuous_distns:chi2_gen scipy.stats._continuous_distns:pareto_gen
    scipy.stats._discrete_distns:randint_gen scipy.stats._discrete_distns:poisson_gen scipy.stats._discrete_distns:geom_gen
    scipy.stats._discrete_distns:binom_gen scipy.stats._discrete_distns:bernoulli_gen scipy.stats._discrete_distns:nbinom_gen
    scipy.stats._discrete_distns:zipfian_gen
""", CLASS, _DISTRIBUTION)

_NUMPY_DTYPE = "NumPy dtype class: instances come only from numpy.dtype(...) and are restored by numpy.dtype.__setstate__ (C, checked)"
_NUMPY_SCALAR = "NumPy scalar type, referred to (dtype=np.float64) or as a dtype's type; values come from numpy's scalar()"

NUMPY_TYPES: Final = _block("""
    numpy.dtypes:BoolDType numpy.dtypes:Int8DType numpy.dtypes:Int16DType numpy.dtypes:Int32DType numpy.dtypes:Int64DType
    numpy.dtypes:UInt8DType numpy.dtypes:UInt16DType numpy.dtypes:UInt32DType numpy.dtypes:UInt64DType
    numpy.dtypes:Float16DType numpy.dtypes:Float32DType numpy.dtypes:Float64DType numpy.dtypes:LongDoubleDType
    numpy.dtypes:Complex64DType numpy.dtypes:Complex128DType numpy.dtypes:CLongDoubleDType numpy.dtypes:LongLongDType
    numpy.dtypes:ULongLongDType numpy.dtypes:ObjectDType numpy.dtypes:BytesDType numpy.dtypes:StrDType numpy.dtypes:VoidDType
    numpy.dtypes:DateTime64DType numpy.dtypes:TimeDelta64DType
""", CLASS, _NUMPY_DTYPE) + _block("""
    numpy:bool numpy:int8 numpy:int16 numpy:int32 numpy:int64 numpy:uint8 numpy:uint16 numpy:uint32 numpy:uint64
    numpy:float16 numpy:float32 numpy:float64 numpy:longdouble numpy:complex64 numpy:complex128 numpy:clongdouble
    numpy:longlong numpy:ulonglong numpy:object_ numpy:str_ numpy:bytes_ numpy:void numpy:datetime64 numpy:timedelta64
""", CLASS, _NUMPY_SCALAR) + _block("""
    numpy:number numpy:integer numpy:signedinteger numpy:unsignedinteger numpy:floating numpy:complexfloating numpy:inexact
    numpy:generic numpy:character numpy:flexible
""", CLASS, "abstract NumPy scalar type, referred to as a dtype filter (make_column_selector(dtype_include=np.number)); "
            "it cannot be instantiated")

_METRIC = "scikit-learn metric function a fitted scorer refers to: pure computation on arrays, never called while loading"

SCORER_FUNCTIONS: Final = _block("""
    sklearn.metrics._classification:accuracy_score sklearn.metrics._classification:balanced_accuracy_score
    sklearn.metrics._classification:brier_score_loss sklearn.metrics._classification:f1_score
    sklearn.metrics._classification:fbeta_score sklearn.metrics._classification:jaccard_score sklearn.metrics._classification:log_loss
    sklearn.metrics._classification:matthews_corrcoef sklearn.metrics._classification:precision_score
    sklearn.metrics._classification:recall_score sklearn.metrics._ranking:average_precision_score
    sklearn.metrics._ranking:roc_auc_score sklearn.metrics._ranking:top_k_accuracy_score
    sklearn.metrics._regression:explained_variance_score sklearn.metrics._regression:max_error
    sklearn.metrics._regression:mean_absolute_error sklearn.metrics._regression:mean_absolute_percentage_error
    sklearn.metrics._regression:mean_gamma_deviance sklearn.metrics._regression:mean_poisson_deviance
    sklearn.metrics._regression:mean_squared_error sklearn.metrics._regression:mean_squared_log_error
    sklearn.metrics._regression:median_absolute_error sklearn.metrics._regression:r2_score
    sklearn.metrics._regression:root_mean_squared_error sklearn.metrics._regression:root_mean_squared_log_error
    sklearn.metrics._regression:d2_absolute_error_score
""", REFERENCE, _METRIC)

#: Everything else, one line each.
OTHERS: Final = (
    # --- Python itself
    Entry("builtins", "object", CLASS, "the base class; copyreg._reconstructor(cls, object, None) names it"),
    Entry("builtins", "dict", CLASS, "plain dict (a dict subclass's base in copyreg._reconstructor)"),
    Entry("builtins", "list", CLASS, "plain list (a list subclass's base in copyreg._reconstructor)"),
    Entry("builtins", "set", CALL, "set(items): raudit checks the items are a list/tuple of plain hashable values"),
    Entry("builtins", "frozenset", CALL, "frozenset(items): same check as set"),
    Entry("builtins", "slice", CALL, "slice(start, stop, step) of integers or None (pandas block placements)"),
    Entry("builtins", "range", CALL, "range(start, stop, step) of integers: lazy, allocates nothing"),
    Entry("builtins", "complex", CALL, "complex(real, imag) of floats"),
    Entry("builtins", "bytes", CALL, "bytes() of a list of small ints or a str+encoding (protocol 2); never bytes(n)"),
    Entry("builtins", "bytearray", CALL, "bytearray(bytes) or (str, encoding); never bytearray(n), which would allocate n bytes"),
    Entry("builtins", "getattr", FUNCTION, "only getattr(<scipy.stats distribution>, '_entropy'): scipy's rv_discrete pickles "
          "its vecentropy helper as a bound method; and getattr(zoneinfo.ZoneInfo, '_unpickle'), a named time zone's "
          "reconstructor, handed out checked; any other use is refused"),
    Entry("datetime", "date", CALL, "date(4 bytes): a C constructor that validates the fields"),
    Entry("datetime", "datetime", CALL, "datetime(10 bytes[, timezone]): a C constructor that validates the fields"),
    Entry("datetime", "timedelta", CALL, "timedelta(days, seconds, microseconds) of integers"),
    Entry("datetime", "timezone", CALL, "timezone(timedelta[, name]): a fixed UTC offset"),
    Entry("zoneinfo", "ZoneInfo", CLASS, "a named time zone (a Timestamp's tz): only through getattr(ZoneInfo, '_unpickle') "
          "(checked: an IANA key, which zoneinfo itself refuses to resolve outside its time-zone folders)"),
    Entry("copyreg", "_reconstructor", FUNCTION, "protocol 0/1 object creation: base.__new__(cls); raudit checks cls is an "
          "allowed class and base is object or a builtin container it derives from"),
    Entry("_codecs", "encode", FUNCTION, "protocol 0-2 bytes: encode(str, 'latin1'); only the latin1/ascii/utf-8 codecs"),
    Entry("collections", "OrderedDict", CALL, "OrderedDict() then SETITEMS; no arguments accepted"),
    Entry("collections", "defaultdict", CALL, "defaultdict(factory) where factory is a builtin container or number type, "
          "OrderedDict (LightGBM) or None"),
    Entry("functools", "partial", CALL, "partial(func) of a reviewed REFERENCE function (HistGradientBoosting's "
          "categorical preprocessor holds partial(check_array, ...)); state checked the same way"),
    # --- joblib
    Entry("joblib.numpy_pickle", "NumpyArrayWrapper", CLASS, "joblib's array placeholder: raudit reads the array bytes that "
          "follow it itself (no memmap, no nested plain unpickler) after checking shape, dtype and size"),
    # --- NumPy
    Entry("numpy", "ndarray", CLASS, "array type named by _reconstruct; state restored by ndarray.__setstate__ (C, checks "
          "shape/dtype/buffer size)"),
    Entry("numpy", "matrix", CLASS, "ndarray subclass, same path as ndarray"),
    Entry("numpy", "bool_", CLASS, "NumPy 1.x name of numpy.bool", "numpy:bool"),
    Entry("numpy", "dtype", CALL, "dtype(str, align, copy): raudit checks the first argument is a type string"),
    Entry("numpy._core.multiarray", "_reconstruct", FUNCTION, "empty array of an allowed ndarray subclass; raudit checks the "
          "shape is (0,) as NumPy writes it"),
    Entry("numpy._core.multiarray", "scalar", FUNCTION, "scalar(dtype, bytes): NumPy checks the size; object dtype refused"),
    Entry("numpy._core.numeric", "_frombuffer", FUNCTION, "protocol-5 arrays: frombuffer(bytes, dtype, shape, order); "
          "NumPy checks the buffer size; object dtype refused"),
    Entry("numpy.core.multiarray", "_reconstruct", FUNCTION, "NumPy 1.x name of the same", "numpy._core.multiarray:_reconstruct"),
    Entry("numpy.core.multiarray", "scalar", FUNCTION, "NumPy 1.x name of the same", "numpy._core.multiarray:scalar"),
    Entry("numpy.core.numeric", "_frombuffer", FUNCTION, "NumPy 1.x name of the same", "numpy._core.numeric:_frombuffer"),
    Entry("numpy.core", "_ufunc_reconstruct", FUNCTION, "ufunc by (module, name) in pickles from NumPy < 1.20; NumPy's own "
          "imports any module and returns any attribute, so raudit never calls it: its replacement returns only a real "
          "numpy.ufunc from the modules in UFUNC_MODULES"),
    Entry("numpy.ma", "MaskedArray", CLASS, "masked array (GridSearchCV.cv_results_); state restored by "
          "MaskedArray.__setstate__ (arrays only)"),
    Entry("numpy.ma.core", "_mareconstruct", FUNCTION, "empty masked array; raudit checks the class is MaskedArray, the base "
          "ndarray and the shape (0,)"),
    Entry("numpy.random.mtrand", "RandomState", CLASS, "legacy generator built by __randomstate_ctor; state set by "
          "RandomState.__setstate__ (numpy checks it)"),
    Entry("numpy.random._generator", "Generator", CLASS, "Generator built by __generator_ctor; state is its bit generator's"),
    Entry("numpy.random._mt19937", "MT19937", CLASS, "bit generator class named to __bit_generator_ctor"),
    Entry("numpy.random._pcg64", "PCG64", CLASS, "bit generator class named to __bit_generator_ctor"),
    Entry("numpy.random._pcg64", "PCG64DXSM", CLASS, "bit generator class named to __bit_generator_ctor"),
    Entry("numpy.random._philox", "Philox", CLASS, "bit generator class named to __bit_generator_ctor"),
    Entry("numpy.random._sfc64", "SFC64", CLASS, "bit generator class named to __bit_generator_ctor"),
    Entry("numpy.random.bit_generator", "SeedSequence", CLASS, "seed sequence built by __pyx_unpickle_SeedSequence"),
    Entry("numpy.random.bit_generator", "__pyx_unpickle_SeedSequence", FUNCTION, "Cython unpickle helper: raudit checks the "
          "class argument is SeedSequence"),
    Entry("numpy.random._pickle", "__bit_generator_ctor", FUNCTION, "new bit generator: raudit checks the argument is one of "
          "NumPy's bit generator classes or names (else it would call any class)"),
    Entry("numpy.random._pickle", "__randomstate_ctor", FUNCTION, "RandomState(bit generator): raudit checks the arguments are "
          "a bit generator (or its name) and NumPy's own __bit_generator_ctor"),
    Entry("numpy.random._pickle", "__generator_ctor", FUNCTION, "Generator(bit generator): same checks as __randomstate_ctor"),
    # --- pandas (pandas 3 pickles of string data carry pyarrow globals; see shared/STACK.md)
    Entry("pandas", "DataFrame", CLASS, "object.__new__, state restored by NDFrame.__setstate__ (attributes only)"),
    Entry("pandas", "Series", CLASS, "same as DataFrame"),
    Entry("pandas", "Index", CLASS, "built by _new_Index (checked); no __setstate__"),
    Entry("pandas", "RangeIndex", CLASS, "built by _new_Index (checked); lazy"),
    Entry("pandas", "MultiIndex", CLASS, "built by _new_Index (checked)"),
    Entry("pandas", "CategoricalIndex", CLASS, "built by _new_Index (checked)"),
    Entry("pandas", "Categorical", CLASS, "built by __pyx_unpickle_NDArrayBacked (checked); Categorical.__setstate__ sets arrays"),
    Entry("pandas", "CategoricalDtype", CLASS, "object.__new__, __setstate__ sets categories and ordered"),
    Entry("pandas", "StringDtype", CALL, "StringDtype(storage, na_value): pandas checks storage is 'python' or 'pyarrow'"),
    Entry("pandas", "NA", REFERENCE, "the missing-value singleton"),
    Entry("pandas.arrays", "ArrowStringArray", CLASS, "pandas-3 string column: object.__new__, "
          "ArrowExtensionArray.__setstate__ wraps the (validated) pyarrow array"),
    Entry("pandas.arrays", "StringArray", CLASS, "python-storage strings, built by __pyx_unpickle_NDArrayBacked (checked)"),
    Entry("pandas.arrays", "DatetimeArray", CLASS, "datetimes, built by __pyx_unpickle_NDArrayBacked (checked)"),
    Entry("pandas._libs.arrays", "__pyx_unpickle_NDArrayBacked", FUNCTION, "Cython unpickle helper of NDArrayBacked arrays: "
          "raudit checks the class argument is an allowed pandas array class"),
    Entry("pandas._libs.internals", "_unpickle_block", FUNCTION, "new_block(values, placement, ndim): pandas data block; "
          "raudit checks ndim is 1 or 2"),
    Entry("pandas.core.indexes.base", "_new_Index", FUNCTION, "cls.__new__(cls, **d): raudit checks cls is an allowed pandas "
          "Index class and d a dict of str keys"),
    Entry("pandas.core.internals.managers", "BlockManager", CALL, "BlockManager(blocks, axes) of blocks and indexes; pandas "
          "verifies their shapes; __setstate__ rebuilds blocks from arrays"),
    Entry("pandas.core.internals.managers", "SingleBlockManager", CLASS, "a Series' manager: __setstate__ rebuilds one block"),
    Entry("pandas._libs.tslibs.timestamps", "_unpickle_timestamp", FUNCTION, "pd.Timestamp from integers; raudit checks "
          "the time zone is None or a fixed-offset datetime.timezone"),
    Entry("pandas._libs.tslibs.timedeltas", "_timedelta_unpickle", FUNCTION, "pd.Timedelta from two integers"),
    Entry("pyarrow.lib", "_restore_array", FUNCTION, "pyarrow array from (type, length, buffers, ...); raudit validates the "
          "result with Array.validate(full=True), so offsets cannot point outside its buffers"),
    Entry("pyarrow.lib", "type_for_alias", FUNCTION, "pyarrow data type by name ('large_string'): a table lookup"),
    Entry("pyarrow.lib", "py_buffer", FUNCTION, "wraps bytes in a pyarrow Buffer (no copy, no allocation)"),
    # --- SciPy
    Entry("scipy.sparse._csr", "csr_matrix", CLASS, _PLAIN), Entry("scipy.sparse._csr", "csr_array", CLASS, _PLAIN),
    Entry("scipy.sparse._csc", "csc_matrix", CLASS, _PLAIN), Entry("scipy.sparse._csc", "csc_array", CLASS, _PLAIN),
    Entry("scipy.sparse._coo", "coo_matrix", CLASS, "object.__new__; coo __setstate__ updates __dict__ (arrays)"),
    Entry("scipy.sparse._coo", "coo_array", CLASS, "same as coo_matrix"),
    Entry("scipy._lib.array_api_compat.numpy._aliases", "asarray", REFERENCE, "array-API asarray a fitted BSpline refers to"),
    # --- scikit-learn internals with their own pickling
    Entry("sklearn.tree._tree", "Tree", CALL, "Tree(n_features, n_classes, n_outputs) (checked sizes); Tree.__setstate__ "
          "checks node dtype and value shape; raudit then checks child indices, features and node count"),
    Entry("sklearn.ensemble._hist_gradient_boosting.predictor", "TreePredictor", CLASS, "object.__new__; __setstate__ updates "
          "__dict__ and casts nodes; raudit checks child and bitset indices"),
    Entry("sklearn.utils._bunch", "Bunch", CLASS, "dict subclass; its __setstate__ deliberately ignores the state"),
    Entry("sklearn.utils.validation", "check_array", REFERENCE, "input validation function held by a partial in "
          "HistGradientBoosting's categorical preprocessor"),
    Entry("sklearn.neighbors._kd_tree", "KDTree", CLASS, "KD tree: created by newObj (checked), state (arrays) restored by "
          "BinaryTree.__setstate__"),
    Entry("sklearn.neighbors._ball_tree", "BallTree", CLASS, "ball tree: same as KDTree"),
    Entry("sklearn.neighbors._kd_tree", "newObj", FUNCTION, "cls.__new__(cls): raudit checks cls is KDTree"),
    Entry("sklearn.neighbors._ball_tree", "newObj", FUNCTION, "cls.__new__(cls): raudit checks cls is BallTree"),
    Entry("sklearn.metrics._dist_metrics", "newObj", FUNCTION, "cls.__new__(cls): raudit checks cls is one of DIST_METRICS"),
    Entry("sklearn._loss._loss", "CyHalfBinomialLoss", CALL, "Cython loss with no state: CyHalfBinomialLoss()"),
    Entry("sklearn._loss._loss", "CyHalfSquaredError", CALL, "Cython loss with no state"),
    Entry("sklearn._loss._loss", "CyAbsoluteError", CALL, "Cython loss with no state"),
    Entry("sklearn._loss._loss", "CyHalfPoissonLoss", CALL, "Cython loss with no state"),
    Entry("sklearn._loss._loss", "CyHalfGammaLoss", CALL, "Cython loss with no state"),
    Entry("sklearn._loss._loss", "CyExponentialLoss", CALL, "Cython loss with no state"),
    Entry("sklearn._loss._loss", "CyHalfMultinomialLoss", CALL, "Cython loss with no state"),
    Entry("sklearn._loss._loss", "__pyx_unpickle_CyHalfMultinomialLoss", FUNCTION, "Cython unpickle helper of the "
          "multinomial loss: raudit checks the class argument is CyHalfMultinomialLoss"),
    Entry("sklearn._loss._loss", "CyHuberLoss", CALL, "Cython loss with one float parameter (delta)"),
    Entry("sklearn._loss._loss", "CyPinballLoss", CALL, "Cython loss with one float parameter (quantile)"),
    Entry("sklearn._loss._loss", "CyHalfTweedieLoss", CALL, "Cython loss with one float parameter (power)"),
    Entry("sklearn._loss._loss", "CyHalfTweedieLossIdentity", CALL, "Cython loss with one float parameter (power)"),
    Entry("sklearn.linear_model._sgd_fast", "Hinge", CALL, "SGD loss: Hinge(threshold) of a float"),
    Entry("sklearn.linear_model._sgd_fast", "SquaredHinge", CALL, "SGD loss of one float"),
    Entry("sklearn.linear_model._sgd_fast", "ModifiedHuber", CALL, "SGD loss with no state"),
    Entry("sklearn.linear_model._sgd_fast", "EpsilonInsensitive", CALL, "SGD loss of one float"),
    Entry("sklearn.linear_model._sgd_fast", "SquaredEpsilonInsensitive", CALL, "SGD loss of one float"),
    # --- gradient-boosting libraries
    Entry("xgboost.core", "Booster", CLASS, "object.__new__; Booster.__setstate__ hands the raw model bytes (checked to be a "
          "bytearray) to XGBoost's C++ model parser; no Python is run"),
    Entry("lightgbm.basic", "Booster", CLASS, "object.__new__; Booster.__setstate__ hands the model text (checked to be a str) "
          "to LightGBM's C++ model parser; no Python is run"),
)

ENTRIES: Final[tuple[Entry, ...]] = (SKLEARN_ESTIMATORS + SKLEARN_INTERNALS + DIST_METRICS + DISTRIBUTIONS + NUMPY_TYPES
                                     + SCORER_FUNCTIONS + OTHERS)

#: Classes whose ``__setstate__`` raudit calls, keyed by the class that defines it: (state it accepts, reason).
SETSTATE: Final = MappingProxyType({
    "sklearn.base.BaseEstimator": ("dict", "pops _sklearn_version (warns on a mismatch), then __dict__.update"),
    "sklearn.isotonic.IsotonicRegression": ("dict", "BaseEstimator's, then rebuilds its interpolation from its own arrays"),
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor": ("dict", "__dict__.update, then casts the node array's dtype"),
    "sklearn.tree._tree.Tree": ("dict", "Cython: checks the node array's dtype and the value array's shape, then copies them"),
    "sklearn.utils._bunch.Bunch": ("any", "does nothing (ignores the pickled __dict__)"),
    "sklearn.neighbors._kd_tree.BinaryTree64": ("tuple", "Cython: assigns the tree's arrays and distance metric"),
    "sklearn.neighbors._ball_tree.BinaryTree64": ("tuple", "Cython: assigns the tree's arrays and distance metric"),
    "sklearn.metrics._dist_metrics.DistanceMetric64": ("tuple", "Cython: assigns p and the metric's vector/matrix"),
    "sklearn.metrics._dist_metrics.DistanceMetric32": ("tuple", "Cython: assigns p and the metric's vector/matrix"),
    "sklearn.metrics._dist_metrics.MahalanobisDistance64": ("tuple", "Cython: as DistanceMetric64, plus its inverse covariance"),
    "sklearn.metrics._dist_metrics.MahalanobisDistance32": ("tuple", "Cython: as DistanceMetric32, plus its inverse covariance"),
    "numpy.ndarray": ("tuple", "C: checks version, shape, dtype and that the data has exactly the bytes the shape needs"),
    "numpy.dtype": ("tuple", "C: sets byte order, fields, itemsize and flags, with checks"),
    "numpy.ma.MaskedArray": ("tuple", "ndarray.__setstate__ for the data and the mask"),
    "numpy.random.bit_generator.BitGenerator": ("any", "Cython: sets the generator's state (numpy checks its keys and sizes)"),
    "numpy.random.bit_generator.SeedSequence": ("tuple", "Cython: sets entropy, spawn key, pool"),
    "numpy.random.mtrand.RandomState": ("any", "sets the bit generator state (numpy checks it)"),
    "numpy.random._generator.Generator": ("any", "sets the bit generator state (numpy checks it)"),
    "pandas.core.generic.NDFrame": ("dict", "sets the manager and attributes with object.__setattr__"),
    "pandas._libs.internals.BlockManager": ("tuple", "rebuilds blocks from arrays and placements"),
    "pandas.core.internals.managers.SingleBlockManager": ("tuple", "rebuilds its one block from an array"),
    "pandas.Categorical": ("any", "sets codes and dtype"),
    "pandas._libs.arrays.NDArrayBacked": ("any", "Cython: sets the backing ndarray and dtype"),
    "pandas.CategoricalDtype": ("dict", "sets categories and ordered"),
    "pandas.StringDtype": ("dict", "sets storage and na_value"),
    "pandas.arrays.ArrowExtensionArray": ("dict", "wraps the pickled (validated) pyarrow arrays in a chunked array"),
    "scipy.sparse._coo.coo_matrix": ("dict", "__dict__.update, then checks/converts its coordinate arrays"),
    "xgboost.core.Booster": ("dict", "parses the raw model bytes in XGBoost's C++ code"),
    "lightgbm.basic.Booster": ("dict", "parses the model text in LightGBM's C++ code"),
    "functools.partial": ("tuple", "sets func, args, keywords (raudit checks func is a reviewed REFERENCE function)"),
    "sklearn._loss._loss.CyHalfMultinomialLoss": ("tuple", "Cython-generated: sets its (empty) C state"),
})

#: Classes a pickle may instantiate without ``__init__`` although their ``__new__`` is not ``object.__new__``: reason.
NEW: Final = MappingProxyType({
    "builtins.dict": "an empty dict subclass instance (Bunch, OrderedDict); arguments ignored",
    "builtins.list": "an empty list subclass instance",
    "scipy.stats._distn_infrastructure.rv_discrete": "a discrete distribution; only with no arguments (with values= it "
                                                     "would become an rv_sample)",
    "sklearn.linear_model._passive_aggressive.PassiveAggressiveClassifier": "scikit-learn's @deprecated wrapper: warns, then "
                                                                            "object.__new__",
    "sklearn.linear_model._passive_aggressive.PassiveAggressiveRegressor": "scikit-learn's @deprecated wrapper: warns, then "
                                                                           "object.__new__",
    "sklearn.neighbors._kd_tree.KDTree64": "Cython __cinit__: empty arrays and the default metric; no arguments",
    "sklearn.neighbors._ball_tree.BallTree64": "Cython __cinit__: empty arrays and the default metric; no arguments",
    **{f"sklearn.metrics._dist_metrics.{e.qualname}": "Cython __cinit__: allocates the metric's parameter arrays; no arguments"
       for e in DIST_METRICS},
})

#: Where a pickle may name a ufunc (``numpy.log1p``, ``scipy.special.expit``); the object must be a ``numpy.ufunc``.
UFUNC_MODULES: Final = MappingProxyType({
    "numpy": "numpy", "numpy._core.umath": "numpy._core.umath", "numpy.core.umath": "numpy._core.umath",
    "scipy.special": "scipy.special", "scipy.special._ufuncs": "scipy.special._ufuncs",
    "scipy.special._special_ufuncs": "scipy.special._special_ufuncs",
})

#: The class that defines the distributions' exec-ing ``__setstate__``.
DISTRIBUTION_SETSTATE: Final = "scipy.stats._distn_infrastructure.rv_generic"

_BY_NAME: Final = MappingProxyType({(e.module, e.qualname): e for e in ENTRIES})


#: Known gadgets that stay refused when ``--allow-module`` widens the list (module → names, or "*" for all of it):
#: picklescan's ``_unsafe_globals`` and modelscan's unsafe-globals settings (both public), plus what they
#: reach. A deny-list is never the policy (the exact allow-list is): it only keeps a prefix the user
#: allows from switching off what is known to be dangerous under it.
GADGETS: Final = MappingProxyType({
    "builtins": frozenset({"eval", "exec", "compile", "open", "getattr", "setattr", "delattr", "__import__", "breakpoint",
                           "input", "globals", "locals", "vars", "apply", "execfile", "memoryview"}),
    "__builtin__": frozenset({"eval", "exec", "compile", "open", "getattr", "__import__", "apply", "execfile"}),
    **{m: frozenset({"*"}) for m in (
        "os", "posix", "nt", "subprocess", "sys", "shutil", "socket", "pty", "pdb", "bdb", "runpy", "code", "codeop",
        "commands", "webbrowser", "pickle", "_pickle", "cPickle", "dill", "cloudpickle", "marshal", "shelve", "importlib",
        "imp", "pkgutil", "zipimport", "ctypes", "_ctypes", "cffi", "types", "timeit", "asyncio", "multiprocessing",
        "concurrent", "threading", "_thread", "signal", "urllib", "urllib2", "http", "httplib", "requests", "aiohttp",
        "ftplib", "smtplib", "telnetlib", "poplib", "imaplib", "xmlrpc", "socketserver", "ssl", "tempfile", "glob",
        "pathlib", "io", "_io", "fileinput", "linecache", "tarfile", "zipfile", "venv", "ensurepip", "distutils",
        "setuptools", "pip", "idlelib", "lib2to3", "operator", "_operator", "functools", "copyreg", "copy_reg",
        "_compat_pickle", "gc", "inspect", "ast", "sysconfig", "site", "platform", "joblib", "dask", "distributed",
        "raudit")},
    "torch.serialization": frozenset({"load", "_load", "loads"}),
    "torch._inductor.codecache": frozenset({"*"}),
    "torch.utils.data.datapipes.utils.decoder": frozenset({"*"}),
    "torch.hub": frozenset({"*"}),
    "torch.jit": frozenset({"*"}),
    "torch.package": frozenset({"*"}),
    "torch.utils.cpp_extension": frozenset({"*"}),
    "torch.utils.collect_env": frozenset({"*"}),
    "torch.distributed": frozenset({"*"}),
    "torch.multiprocessing": frozenset({"*"}),
    "numpy.testing": frozenset({"*"}),
    "numpy.lib": frozenset({"*"}),
    "numpy.load": frozenset({"*"}),
    "numpy.f2py": frozenset({"*"}),
    "numpy.distutils": frozenset({"*"}),
    "numpy.core": frozenset({"_ufunc_reconstruct"}),
    "scipy._lib": frozenset({"*"}),
    "sklearn.utils._testing": frozenset({"*"}),
    "sklearn.utils.discovery": frozenset({"*"}),
    "sklearn.datasets": frozenset({"*"}),
    "sklearn.externals": frozenset({"*"}),
    "pandas.io": frozenset({"*"}),
    "pandas.read_pickle": frozenset({"*"}),
    "keras.layers": frozenset({"Lambda"}),
    "keras.src.layers": frozenset({"Lambda"}),
    "tensorflow.python.ops.io_ops": frozenset({"*"}),
    "tensorflow.io": frozenset({"*"}),
    "tensorflow.python.lib.io": frozenset({"*"}),
    "transformers.dynamic_module_utils": frozenset({"*"}),
    "skorch.net": frozenset({"*"}),
})


def known_gadget(module: str, qualname: str) -> bool:
    """Whether ``module.qualname`` is on :data:`GADGETS` (a module prefix matches its submodules)."""
    parts = module.split(".")
    for i in range(len(parts), 0, -1):
        names = GADGETS.get(".".join(parts[:i]))
        if names is not None and ("*" in names or qualname.split(".")[0] in names):
            return True
    return False


def by_name(module: str, qualname: str) -> Entry | None:
    """The entry for a pickled ``(module, qualname)``, or None."""
    return _BY_NAME.get((module, qualname))


def is_ufunc_name(module: str, name: str) -> bool:
    """Whether ``module.name`` may be a ufunc reference (the object is checked when it is resolved)."""
    return module in UFUNC_MODULES and name.isidentifier() and not name.startswith("_")
