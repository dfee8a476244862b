à

2.15.0"serveÌ

pathConst"/device:CPU:0
%
readReadFilepath"/device:CPU:0
.
callStatefulPartitionedCall"/device:CPU:0P
N

__inference_fn_1
pyPyFunc"/device:CPU:0
pPrintV2"/device:CPU:0"¿