v

2.15.0"servec

xPlaceholder"/device:CPU:0

wConst"/device:CPU:0
 
yMatMulxw"/device:CPU:0"¿